"""Python rules for code that does not parse (fragments, Python 2, prose mixed in): regexes on blanked code."""

from __future__ import annotations

import re

from ._lexer import Check, LineRule, Source, context_check, word
from ._model import Severity
from ._rules_python import (
    DESERIALIZE,
    DYNAMIC_IMPORT,
    EVAL,
    EXEC,
    FLASK_DEBUG,
    INSECURE_RANDOM,
    MKTEMP,
    OS_SYSTEM,
    SHELL_TRUE,
    SQL_INJECTION,
    TLS_DISABLED,
    WEAK_HASH,
    XML_PARSE,
    YAML_LOAD,
)
from ._secrets import ASSIGNMENT_RULE

_SECURITY_TEXT = re.compile(
    r"(?i)token|passw|secret|salt|nonce|\botp\b|api_?key|session|csrf|\bauth(?!or)|credential"
)
_FUNCTION_HEADER = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+\w+")


def _unless(pattern: str, severity: Severity) -> Check:
    """A check that drops the match when `pattern` occurs on the rest of its line."""
    compiled = re.compile(pattern)

    def check(match: re.Match[str], source: Source) -> Severity | None:
        return None if compiled.search(source.rest_of_line(match.end())) else severity

    return check


LINE_RULES = (
    LineRule(EVAL, re.compile(word("eval") + r"\s*\(\s*(?![\"')])"), hints=("eval",)),
    LineRule(EXEC, re.compile(word("exec", "compile") + r"\s*\(\s*(?![\"')])"), hints=("exec", "compile")),
    LineRule(DYNAMIC_IMPORT, re.compile(word("__import__") + r"\s*\(\s*(?![\"')])"), hints=("__import__",)),
    LineRule(SHELL_TRUE, re.compile(r"subprocess\.\w+\s*\([^\n]*\bshell\s*=\s*True"), hints=("shell",)),
    LineRule(OS_SYSTEM, re.compile(r"os\.(?:system|popen)\s*\("), hints=("os.",)),
    LineRule(
        DESERIALIZE,
        re.compile(r"(?:c?[pP]ickle|_pickle|dill|marshal)\.(?:loads?|Unpickler)\s*\(|shelve\.open\s*\("),
        hints=("pickle", "dill", "marshal", "shelve"),
    ),
    LineRule(
        YAML_LOAD,
        re.compile(r"yaml\.(?:unsafe_load|load|load_all)\s*\("),
        _unless(r"(?:Loader\s*=\s*|,\s*)(?:yaml\.)?C?(?:Safe|Base)Loader", Severity.high),
        hints=("yaml",),
    ),
    LineRule(
        WEAK_HASH,
        re.compile(r"hashlib\.(?:md5|sha1)\s*\("),
        _unless(r"usedforsecurity\s*=\s*False", Severity.medium),
        hints=("hashlib",),
    ),
    LineRule(
        INSECURE_RANDOM,
        re.compile(word("random") + r"\.(?:random|randint|randrange|choices?|sample|getrandbits)\s*\("),
        context_check(INSECURE_RANDOM.severity, _SECURITY_TEXT, _FUNCTION_HEADER),
        hints=("random",),
    ),
    LineRule(
        TLS_DISABLED,
        re.compile(r"verify\s*=\s*False\b|_create_unverified_context\s*\("),
        hints=("verify",),
    ),
    LineRule(MKTEMP, re.compile(r"tempfile\.mktemp\s*\("), hints=("mktemp",)),
    LineRule(
        SQL_INJECTION,
        re.compile(
            r"\.(?:execute|executemany|executescript)\s*\(\s*"
            r"(?:[rR]?[fF][rR]?[\"']|(?:\"[^\"\n]*\"|'[^'\n]*')\s*(?:%|\+|\.format\b))"
        ),
        hints=("execute",),
    ),
    LineRule(FLASK_DEBUG, re.compile(r"\.run\s*\([^\n]*\bdebug\s*=\s*True"), hints=("debug",)),
    LineRule(
        XML_PARSE,
        re.compile(r"(?:ET|ElementTree|etree|minidom)\.(?:parse|fromstring|parseString|iterparse|XML)\s*\("),
        hints=("et.", "elementtree", "etree", "minidom"),
    ),
    ASSIGNMENT_RULE,
)
