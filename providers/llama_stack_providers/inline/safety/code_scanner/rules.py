"""The rule set: every rule by id, per language, and the dispatch from a language to its matchers."""

from __future__ import annotations

import textwrap

from . import _rules_c, _rules_js, _rules_python, _rules_python_fallback, _rules_shell
from ._lexer import LineRule, Source, run_line_rules
from ._model import Hit, Rule
from ._secrets import ASSIGNMENT_RULE, HARDCODED_SECRET, TOKEN_RULES, scan_tokens

# Rules that apply whatever the language (and, for the token shapes, to prose too).
GENERIC_RULES: tuple[Rule, ...] = (HARDCODED_SECRET, *TOKEN_RULES)

RULES_BY_LANGUAGE: dict[str, tuple[Rule, ...]] = {
    "python": _rules_python.RULES,
    "javascript": _rules_js.RULES,
    "c": _rules_c.RULES,
    "cpp": _rules_c.RULES,
    "shell": _rules_shell.RULES,
}
SUPPORTED_LANGUAGES = frozenset(RULES_BY_LANGUAGE)

ALL_RULES: dict[str, Rule] = {
    rule.id: rule for rules in (*RULES_BY_LANGUAGE.values(), GENERIC_RULES) for rule in rules
}

_LINE_RULES = {
    "javascript": _rules_js.LINE_RULES,
    "c": _rules_c.LINE_RULES,
    "cpp": _rules_c.LINE_RULES,
    "shell": _rules_shell.LINE_RULES,
}


def _python_source(code: str) -> str:
    """Code as the parser wants it, line numbers unchanged: dedented (snippets cut from a function body
    arrive indented) and, for interpreter sessions, `>>> `/`... ` prompts removed and output lines blanked."""
    lines = textwrap.dedent(code).split("\n")
    if not any(line.startswith(">>>") for line in lines):
        return "\n".join(lines)
    return "\n".join(line[4:] if line.startswith((">>> ", "... ")) else "" for line in lines)


def scan(code: str, language: str | None) -> list[Hit]:
    """Every rule hit in `code`; a language without rules of its own gets the generic rules only."""
    hits = scan_tokens(code)
    line_rules: tuple[LineRule, ...]
    if language == "python":
        code = _python_source(code)
        tree_hits = _rules_python.scan_ast(code)
        if tree_hits is not None:
            return hits + tree_hits
        line_rules = _rules_python_fallback.LINE_RULES
    else:
        line_rules = _LINE_RULES.get(language or "", (ASSIGNMENT_RULE,))
    return hits + list(run_line_rules(Source.build(code, language), line_rules))
