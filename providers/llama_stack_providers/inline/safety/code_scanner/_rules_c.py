"""C and C++ rules: regexes over comment-blanked code, anchored outside string and char literals."""

from __future__ import annotations

import dataclasses
import re

from ._lexer import LineRule, Source, context_check, rule, word
from ._model import Severity
from ._secrets import ASSIGNMENT_RULE

GETS = rule(
    "c.gets",
    Severity.critical,
    "CWE-242",
    "gets() cannot limit input length and always allows a buffer overflow; use fgets(buf, sizeof buf, stdin).",
)
STRCPY = rule(
    "c.strcpy",
    Severity.high,
    "CWE-120",
    "strcpy does not check the destination size; use strncpy/strlcpy or snprintf with the buffer size.",
)
STRCAT = rule(
    "c.strcat",
    Severity.high,
    "CWE-120",
    "strcat does not check the destination size; use strncat/strlcat with the remaining space.",
)
SPRINTF = rule(
    "c.sprintf",
    Severity.high,
    "CWE-120",
    "sprintf/vsprintf can write past the buffer; use snprintf/vsnprintf with the buffer size.",
)
SCANF = rule(
    "c.scanf-unbounded",
    Severity.high,
    "CWE-120",
    "%s or %[ without a field width lets input overflow the buffer; give a width such as %255s.",
)
SYSTEM = rule(
    "c.system",
    Severity.high,
    "CWE-78",
    "system()/popen() run a shell command line; call execv-family functions with an argument vector instead.",
)
FORMAT_STRING = rule(
    "c.format-string",
    Severity.high,
    "CWE-134",
    'A non-literal format string lets input control printf; print it with a literal format such as "%s".',
)
INSECURE_RANDOM = rule(
    "c.insecure-random",
    Severity.medium,
    "CWE-338",
    "rand() is predictable; use getrandom(), /dev/urandom or RAND_bytes for keys, tokens and nonces.",
)
WEAK_HASH = rule(
    "c.weak-hash",
    Severity.medium,
    "CWE-327",
    "MD5 and SHA-1 are broken for security use; use SHA-256 (EVP_sha256) or better.",
)
TEMPFILE = rule(
    "c.insecure-tempfile",
    Severity.medium,
    "CWE-377",
    "mktemp/tmpnam return a name another process can claim first; use mkstemp or tmpfile.",
)
MEMCPY_STRLEN = rule(
    "c.memcpy-strlen",
    Severity.medium,
    "CWE-120",
    "Copying strlen(src) bytes ignores the destination size (and drops the terminator); bound the copy by the buffer size.",
)
RULES = (
    GETS,
    STRCPY,
    STRCAT,
    SPRINTF,
    SCANF,
    SYSTEM,
    FORMAT_STRING,
    INSECURE_RANDOM,
    WEAK_HASH,
    TEMPFILE,
    MEMCPY_STRLEN,
)

_UNBOUNDED = re.compile(r"%(?![*\d])(?:\d+\$)?[hlLjzt]{0,2}[s\[]")
_LITERAL_ARG = re.compile(r"\s*(?:L|u8|u|U)?\"(?:[^\"\\\n]|\\.)*\"\s*(?:,|$)")
_SECURITY_TEXT = re.compile(r"(?i)key|token|passw|secret|nonce|salt|session|\botp\b|\biv\b|crypt|\bauth")
# a function definition's first line: `static int make_key(unsigned char *out) {`
_FUNCTION_HEADER = re.compile(
    r"^[A-Za-z_][\w \t*&:<>,]*?\b\w+[ \t]*\([^;]*\)[ \t]*(?:const[ \t]*)?\{?[ \t]*$"
)


def _scanf_check(match: re.Match[str], _source: Source) -> Severity | None:
    fmt = match.group("fmt").replace("%%", "")
    return SCANF.severity if _UNBOUNDED.search(fmt) else None


def _system_check(match: re.Match[str], source: Source) -> Severity | None:
    # system("clear") runs a fixed command line: still a shell, but nothing outside can steer it
    return Severity.low if _LITERAL_ARG.match(source.call_args(match.end() - 1)) else SYSTEM.severity


def _format_check(match: re.Match[str], source: Source) -> Severity | None:
    # ALL_CAPS arguments are macros, which in practice expand to literals; a macro body that forwards its
    # parameter (`#define LOG(s) printf(s)`) leaves the format to its call sites
    if match.group("fmt").isupper() or source.line_text(match.start()).lstrip().startswith("#"):
        return None
    return FORMAT_STRING.severity


_FORMAT_ARG = r"(?P<fmt>[A-Za-z_]\w*(?:(?:->|\.)\w+|\[[^\]\n]*\])*)\s*\)"


def _call(*names: str) -> str:
    """A call of a libc function: not a method (`.`, `->`) or a longer identifier; `std::` is fine."""
    return word(*names, not_after=r"[\w.>$]") + r"\s*\("


_LINE_RULES = (
    LineRule(GETS, re.compile(_call("gets", "_getws")), hints=("gets",)),
    LineRule(
        STRCPY,
        re.compile(_call("strcpy", "wcscpy", "_mbscpy", "_tcscpy", "lstrcpy", "lstrcpyA", "lstrcpyW")),
        hints=("cpy",),
    ),
    LineRule(
        STRCAT,
        re.compile(_call("strcat", "wcscat", "_mbscat", "_tcscat", "lstrcat", "lstrcatA", "lstrcatW")),
        hints=("cat",),
    ),
    LineRule(SPRINTF, re.compile(_call("sprintf", "vsprintf", "swprintf", "_stprintf")), hints=("printf",)),
    LineRule(
        SCANF,
        re.compile(
            _call("scanf", "fscanf", "sscanf", "vscanf", "vfscanf", "vsscanf", "wscanf")
            + r"[^;\"]*\"(?P<fmt>(?:[^\"\\\n]|\\.)*)\""
        ),
        _scanf_check,
        hints=("scanf",),
    ),
    LineRule(
        SYSTEM,
        re.compile(_call("system", "popen", "_popen", "_wpopen", "_wsystem")),
        _system_check,
        hints=("system", "popen"),
    ),
    LineRule(
        FORMAT_STRING,
        re.compile(_call("printf", "vprintf") + r"\s*" + _FORMAT_ARG),
        _format_check,
        hints=("printf",),
    ),
    LineRule(
        FORMAT_STRING,
        re.compile(_call("fprintf", "dprintf", "syslog", "vfprintf") + r"[^,;()]+,\s*" + _FORMAT_ARG),
        _format_check,
        hints=("printf", "syslog"),
    ),
    LineRule(
        FORMAT_STRING,
        re.compile(_call("snprintf") + r"[^,;()]+,[^,;()]+,\s*" + _FORMAT_ARG),
        _format_check,
        hints=("snprintf",),
    ),
    LineRule(
        INSECURE_RANDOM,
        re.compile(_call("rand", "random", "drand48", "lrand48") + r"\s*\)"),
        context_check(INSECURE_RANDOM.severity, _SECURITY_TEXT, _FUNCTION_HEADER),
        hints=("rand",),
    ),
    LineRule(
        WEAK_HASH,
        re.compile(
            word("MD4", "MD5", "SHA1", not_after="[A-Za-z0-9]")
            + r"(?:_Init|_Update|_Final)?\s*\(|EVP_(?:md4|md5|sha1)\s*\(|CC_(?:MD5|SHA1)\s*\("
        ),
        hints=("md4", "md5", "sha1"),
    ),
    LineRule(
        TEMPFILE,
        re.compile(_call("mktemp", "_mktemp", "tmpnam", "tmpnam_r", "tempnam")),
        hints=("mktemp", "tmpnam", "tempnam"),
    ),
    LineRule(
        MEMCPY_STRLEN,
        re.compile(
            _call("memcpy", "memmove") + r"[^,;]+,\s*(?P<src>[^,;]+?)\s*,\s*strlen\s*\(\s*(?P=src)\s*\)"
        ),
        hints=("strlen",),
    ),
    ASSIGNMENT_RULE,
)


# `#define system(a) pgwin32_system(a)` names a macro; it is not a call of system().
_MACRO_NAME = re.compile(r"#[ \t]*define[ \t]+$")


def _not_a_macro_name(line_rule: LineRule) -> LineRule:
    inner = line_rule.check

    def check(match: re.Match[str], source: Source) -> Severity | None:
        line_start = source.line_starts[source.line_of(match.start()) - 1]
        if _MACRO_NAME.search(source.text, line_start, match.start()):
            return None
        return line_rule.rule.severity if inner is None else inner(match, source)

    return dataclasses.replace(line_rule, check=check)


LINE_RULES = tuple(_not_a_macro_name(line_rule) for line_rule in _LINE_RULES)
