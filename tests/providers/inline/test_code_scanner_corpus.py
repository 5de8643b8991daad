"""Insecure-code scanner: the snippet corpus (code_scanner_corpus/) and the public API's edge cases."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from llama_stack_providers.inline.safety.code_scanner.rules import ALL_RULES, RULES_BY_LANGUAGE
from llama_stack_providers.inline.safety.code_scanner.scanner import (
    CodeBlock,
    Finding,
    Severity,
    detect_language,
    extract_code_blocks,
    scan_code,
    scan_text,
)

# Layout: <language>/{insecure,safe}/NNN_name.<ext>, plus messages/{prose,mixed}/*.md. Python snippets end in
# .py.txt so that ruff leaves them alone. An expected finding is a comment on its line: `expect: rule.id`.
CORPUS = Path(__file__).parent / "code_scanner_corpus"
LANGUAGES = ("python", "javascript", "c", "shell")
_EXTENSIONS = {
    ".py": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".ts": "javascript",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".sh": "shell",
}
_MARKER = re.compile(r"expect:\s*([\w.-]+(?:\s*,\s*[\w.-]+)*)")


def _files(*parts: str) -> list[Path]:
    return sorted(path for path in CORPUS.joinpath(*parts).iterdir() if path.is_file())


def _language(path: Path) -> str:
    return _EXTENSIONS[Path(path.name.removesuffix(".txt")).suffix]


def _expected(text: str, shift: int = 0) -> set[tuple[int, str]]:
    return {
        (number + shift, rule_id.strip())
        for number, line in enumerate(text.split("\n"), start=1)
        for marker in _MARKER.finditer(line)
        for rule_id in marker.group(1).split(",")
    }


def _reported(findings: list[Finding], minimum: Severity = Severity.info) -> set[tuple[int, str]]:
    return {(finding.line, finding.rule_id) for finding in findings if finding.severity >= minimum}


def _as_message(code: str, label: str) -> tuple[str, int]:
    """The snippet inside a fenced block after two lines of prose; returns the text and the line shift."""
    prose = "Here is the code you asked for.\nIt should work as is.\n"
    return f"{prose}```{label}\n{code}\n```\nLet me know if it helps.\n", 3


def _ids(paths: list[Path]) -> list[str]:
    return [f"{path.parent.parent.name}/{path.name}" for path in paths]


INSECURE = [path for language in LANGUAGES for path in _files(language, "insecure")]
SAFE = [path for language in LANGUAGES for path in _files(language, "safe")]
MIXED = _files("messages", "mixed")
PROSE = _files("messages", "prose")


def test_corpus_has_enough_snippets_per_language() -> None:
    for language in LANGUAGES:
        assert len(_files(language, "insecure")) >= 8, language
        assert len(_files(language, "safe")) >= 6, language
    assert len(PROSE) >= 3


@pytest.mark.parametrize("path", INSECURE, ids=_ids(INSECURE))
def test_insecure_snippet_is_reported_on_the_marked_lines(path: Path) -> None:
    code = path.read_text()
    expected = _expected(code)
    assert expected, "an insecure snippet needs at least one `expect:` marker"
    assert {rule_id for _line, rule_id in expected} <= set(ALL_RULES)
    findings = scan_code(code, _language(path))
    assert expected <= _reported(findings)
    # markers list every finding that matters, so the corpus also measures precision
    assert _reported(findings, Severity.medium) <= expected


@pytest.mark.parametrize("path", INSECURE, ids=_ids(INSECURE))
def test_insecure_snippet_lines_count_from_the_top_of_the_message(path: Path) -> None:
    code = path.read_text().rstrip("\n")
    text, shift = _as_message(code, _language(path))
    assert _expected(code, shift) <= _reported(scan_text(text))


@pytest.mark.parametrize("path", SAFE, ids=_ids(SAFE))
def test_safe_snippet_has_no_finding_of_medium_or_worse(path: Path) -> None:
    code = path.read_text()
    assert _reported(scan_code(code, _language(path)), Severity.medium) == set()
    text, _shift = _as_message(code, "")  # unlabelled: the language is guessed
    assert _reported(scan_text(text), Severity.medium) == set()


@pytest.mark.parametrize("path", INSECURE + SAFE, ids=_ids(INSECURE + SAFE))
def test_detect_language_on_the_corpus(path: Path) -> None:
    assert detect_language(path.read_text()) == _language(path)


@pytest.mark.parametrize("path", MIXED, ids=[path.name for path in MIXED])
def test_message_findings(path: Path) -> None:
    text = path.read_text()
    findings = scan_text(text)
    assert _reported(findings) == _expected(text)
    assert findings == sorted(findings, key=lambda finding: finding.line)


@pytest.mark.parametrize("path", PROSE, ids=[path.name for path in PROSE])
def test_prose_is_not_code(path: Path) -> None:
    text = path.read_text()
    assert extract_code_blocks(text) == []
    assert scan_text(text) == []


def test_corpus_precision_and_recall() -> None:
    true_positive = false_positive = false_negative = 0
    for path in INSECURE + SAFE:
        code = path.read_text()
        expected, reported = _expected(code), _reported(scan_code(code, _language(path)), Severity.medium)
        true_positive += len(expected & reported)
        false_positive += len(reported - expected)
        false_negative += len(expected - _reported(scan_code(code, _language(path))))
    assert false_negative == 0
    assert true_positive / (true_positive + false_positive) >= 0.95


# --- extract_code_blocks -------------------------------------------------------------------------------


def test_extract_fences_with_line_numbers_and_aliases() -> None:
    text = "\n".join(
        [
            "Intro line",  # 1
            "```py",  # 2
            "print(1)",  # 3
            "```",  # 4
            "~~~ c++ {.numberLines}",  # 5
            "int x;",  # 6
            "int y;",  # 7
            "~~~",  # 8
            "```TypeScript title=app.ts",  # 9
            "let a = 1;",  # 10
            "```",  # 11
            "```console",  # 12
            "$ ls",  # 13
            "```",  # 14
        ]
    )
    assert extract_code_blocks(text) == [
        CodeBlock("python", "print(1)", 3),
        CodeBlock("cpp", "int x;\nint y;", 6),
        CodeBlock("javascript", "let a = 1;", 10),
        CodeBlock("shell", "$ ls", 13),
    ]


@pytest.mark.parametrize(
    ("label", "language"),
    [
        ("python3", "python"),
        ("JS", "javascript"),
        ("jsx", "javascript"),
        ("h", "c"),
        ("cxx", "cpp"),
        ("zsh", "shell"),
        ("{.bash}", "shell"),
        ("language-python", "python"),
        ("go", "go"),
        ("text", None),
        ("", None),
    ],
)
def test_extract_language_labels(label: str, language: str | None) -> None:
    assert extract_code_blocks(f"```{label}\nx\n```")[0].language == language


def test_extract_edge_cases() -> None:
    # an unclosed fence runs to the end; a longer fence may contain a shorter one; CRLF counts as one line
    assert extract_code_blocks("a\n```sh\nls\nrm x") == [CodeBlock("shell", "ls\nrm x", 3)]
    nested = "````markdown\n```python\nx = 1\n```\n````"
    assert extract_code_blocks(nested) == [CodeBlock("markdown", "```python\nx = 1\n```", 2)]
    assert extract_code_blocks("one\r\n```c\r\nint x;\r\n```\r\n") == [CodeBlock("c", "int x;", 3)]
    # ``` on one line is inline code, not a fence
    assert extract_code_blocks("Use ```eval()``` never.") == []
    # fences inside list items are dedented by the fence's indent
    assert extract_code_blocks("1. Step\n\n   ```js\n   a();\n     b();\n   ```") == [
        CodeBlock("javascript", "a();\n  b();", 4)
    ]


def test_extract_unfenced_text() -> None:
    code = "import os\n\ndef main():\n    os.system('ls')\n"
    assert extract_code_blocks(code) == [CodeBlock("python", code, 1)]
    assert extract_code_blocks("Thanks, that fixed it. The build passes now.") == []
    assert extract_code_blocks("") == []


# --- detect_language ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("#!/usr/bin/env python3\nx = 1", "python"),
        ("#!/bin/bash\necho hi", "shell"),
        ("#!/usr/bin/env node\nx = 1", "javascript"),
        ("from os import path\nprint(path.sep)", "python"),
        ("const fs = require('fs');\nfs.readFileSync(p);", "javascript"),
        ("#include <stdio.h>\nint main(void) { return 0; }", "c"),
        ("#include <iostream>\nint main() { std::cout << 1; }", "cpp"),
        ("$ pip install requests\n$ python app.py", "shell"),
        ("sudo apt-get update && sudo apt-get install -y curl", "shell"),
        ("Hello there, how are you today?", None),
        ("", None),
    ],
)
def test_detect_language(code: str, language: str | None) -> None:
    assert detect_language(code) == language


# --- scan_code / scan_text ----------------------------------------------------------------------------


def test_line_offset_and_snippet() -> None:
    [finding] = scan_code("x = 1\ny = eval(data)\n", "python", line_offset=10)
    assert (finding.line, finding.rule_id, finding.language) == (12, "python.eval", "python")
    assert finding.snippet == "y = eval(data)"
    assert finding.cwe == "CWE-95" and finding.severity is Severity.high
    long_line = "gets(buf); /*" + "x" * 500 + "*/"
    [finding] = scan_code(long_line, "c")
    assert len(finding.snippet) <= 200
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.line = 3  # type: ignore[misc]


def test_language_aliases_and_unknown_languages() -> None:
    assert [f.rule_id for f in scan_code("gets(buf);", "C++")] == ["c.gets"]
    # an unknown language gets the language-independent rules only
    go = 'package main\n\nconst dbPassword = "Zq8-kLm2-Prod"\n\nfunc main() { exec.Command("sh", "-c", cmd) }\n'
    assert [(f.line, f.rule_id, f.language) for f in scan_code(go, "go")] == [
        (3, "generic.hardcoded-secret", "go")
    ]
    assert [f.language for f in scan_code('password = "Zq8-kLm2-Prod"')] == ["text"]


def test_duplicates_collapse_to_one_finding_per_line_and_rule() -> None:
    findings = scan_code("strcpy(a, b); strcpy(c, d);", "c")
    assert [(f.line, f.rule_id) for f in findings] == [(1, "c.strcpy")]


# Key-shaped values are assembled at run time so that no scanner of this repository mistakes them for leaks.
_AWS = "AKIA" + "Q3VZ7XK2MN4P8RTW"
_GITHUB = "ghp_" + "x7Kq2LmN9pR4sT1vW8yZ3bC6dF0gH5jA2eU9"
_SLACK = "xoxb-" + "2847561903-9182736450-Gh7Kq2LmN9pR4sT1vW8yZ3bC"
_OPENAI = "sk-proj-" + "Gh7Kq2LmN9pR4sT1vW8yZ3bC6dF0gH5jAx7Kq2Lm"
_PEM = (
    "-----BEGIN RSA "
    + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7Kq2LmN9pR4sT1vW8yZ3bC6dF0gH5jA2e\n-----END RSA "
    + "PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("code", "rule_id", "severity"),
    [
        (f'aws_key = "{_AWS}"', "generic.aws-access-key", Severity.high),
        (f'const token = "{_GITHUB}";', "generic.github-token", Severity.critical),
        (f"SLACK={_SLACK}", "generic.slack-token", Severity.high),
        (f'client = OpenAI(api_key="{_OPENAI}")', "generic.api-token", Severity.high),
        (f'KEY = """{_PEM}"""', "generic.private-key", Severity.critical),
    ],
)
def test_key_shaped_secrets(code: str, rule_id: str, severity: Severity) -> None:
    # the name-based rule would fire too; the specific one wins
    assert [(f.rule_id, f.severity) for f in scan_code(code)] == [(rule_id, severity)]


def test_key_shaped_secrets_in_prose_and_comments() -> None:
    text = f"My key is {_AWS}, is that a problem?\n\n```python\n# token: {_GITHUB}\nx = 1\n```\n"
    assert [(f.line, f.rule_id, f.language) for f in scan_text(text)] == [
        (1, "generic.aws-access-key", "text"),
        (4, "generic.github-token", "python"),
    ]


@pytest.mark.parametrize(
    "code",
    [
        'key_id = "AKIAIOSFODNN7EXAMPLE"',  # AWS's documentation key
        'token = "ghp_' + "x" * 36 + '"',
        'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    pass',
        'password = ""',
        "password = '<your-password>'",
        'password = "changeme"',
        'password = "${DB_PASSWORD}"',
    ],
)
def test_placeholder_secrets_are_not_reported(code: str) -> None:
    assert scan_code(code, "python") == []


def test_fragment_that_does_not_parse_uses_the_regex_fallback() -> None:
    code = 'print "start"\nout = os.popen(cmd).read()\n# os.system(x)\ns = "eval(x)"\n'
    assert [(f.line, f.rule_id) for f in scan_code(code, "python")] == [(2, "python.os-system")]


def test_python_that_warns_while_parsing_still_uses_the_syntax_tree() -> None:
    # under filterwarnings=error an escaped warning would turn into a SyntaxError and the regex fallback
    # (which cannot see through the alias)
    code = 'import subprocess as sp\npattern = "\\d+"\nsp.run(cmd, shell=True)\n'
    assert [(f.line, f.rule_id) for f in scan_code(code, "python")] == [(3, "python.subprocess-shell-true")]


def test_interpreter_session_prompts_are_stripped() -> None:
    session = (
        ">>> import pickle\n>>> data = pickle.loads(blob)\n>>> for row in data:\n...     print(row)\n1\n"
    )
    assert [(f.line, f.rule_id) for f in scan_code(session, "pycon")] == [
        (2, "python.unsafe-deserialization")
    ]


@pytest.mark.parametrize(
    ("command", "rule_ids"),
    [
        ('rm -rf "$DIR/"', ["shell.rm-rf-variable"]),
        ('rm -rf "${DIR:-}/"', ["shell.rm-rf-variable"]),  # an empty default is no guard
        ('rm -rf "${DIR:?}/"', []),
        ('rm -rf "${DIR:-/tmp/build}/"', []),
        ('rm -rf "$DIR"', []),
        ("rm -f $DIR/*.log", []),  # not recursive
        ("rm -rf $HOME", ["shell.rm-rf-root"]),
    ],
)
def test_rm_variable_guards(command: str, rule_ids: list[str]) -> None:
    assert [f.rule_id for f in scan_code(command, "shell")] == rule_ids


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("x = " + "+".join(["a"] * 5000), "python"),  # parses, but too deep to walk: the fallback runs
        ("/*" + "x" * 5000, "c"),
        ("'" * 5000, "javascript"),
        ('"' * 5000 + " rm -rf /", "shell"),
        ("```\n" * 2000, None),
        ("const" + " " * 5000 + "x", None),
    ],
)
def test_hostile_input_is_handled(code: str, language: str | None) -> None:
    scan_code(code, language)
    scan_text(code)


def test_every_rule_is_documented() -> None:
    for language, rules in RULES_BY_LANGUAGE.items():
        assert len(rules) >= 8, language
    for rule_id, rule in ALL_RULES.items():
        assert re.fullmatch(r"(?:python|js|c|shell|generic)\.[a-z0-9-]+", rule_id)
        assert rule.cwe is None or re.fullmatch(r"CWE-\d+", rule.cwe)
        assert rule.message.endswith(".") and ". " not in rule.message, "one sentence"


# --- Severity -----------------------------------------------------------------------------------------


def test_severity_parse_and_order() -> None:
    assert Severity.parse("HIGH") is Severity.high
    assert Severity.parse(" critical ") is Severity.critical
    assert Severity.info < Severity.low < Severity.medium < Severity.high < Severity.critical
    with pytest.raises(ValueError, match="info, low, medium, high, critical") as caught:
        Severity.parse("severe")
    assert "'severe'" in str(caught.value)
