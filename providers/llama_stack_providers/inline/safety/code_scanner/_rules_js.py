"""JavaScript and TypeScript rules: regexes over comment-blanked code, anchored outside string literals."""

from __future__ import annotations

import re
from bisect import bisect_left

from ._lexer import LineRule, Source, context_check, rule, word
from ._model import Severity
from ._secrets import ASSIGNMENT_RULE

EVAL = rule(
    "js.eval",
    Severity.high,
    "CWE-95",
    "eval() runs arbitrary code; parse data with JSON.parse or dispatch explicitly.",
)
NEW_FUNCTION = rule(
    "js.new-function",
    Severity.high,
    "CWE-95",
    "new Function(...) compiles a string into code like eval; use ordinary functions.",
)
TIMER_STRING = rule(
    "js.settimeout-string",
    Severity.medium,
    "CWE-95",
    "setTimeout/setInterval with a string argument evaluates it as code; pass a function.",
)
CHILD_PROCESS = rule(
    "js.child-process-exec",
    Severity.high,
    "CWE-78",
    "child_process.exec with a built command string allows shell injection; use execFile/spawn with an argument array.",
)
INNER_HTML = rule(
    "js.inner-html",
    Severity.high,
    "CWE-79",
    "Assigning dynamic markup to innerHTML/outerHTML enables XSS; use textContent or sanitise with DOMPurify.",
)
DOCUMENT_WRITE = rule(
    "js.document-write",
    Severity.high,
    "CWE-79",
    "document.write with dynamic content enables XSS; build DOM nodes and set textContent.",
)
DANGEROUS_HTML = rule(
    "js.dangerously-set-inner-html",
    Severity.medium,
    "CWE-79",
    "dangerouslySetInnerHTML renders raw markup; render text, or sanitise the HTML with DOMPurify first.",
)
WEAK_HASH = rule(
    "js.weak-hash",
    Severity.medium,
    "CWE-327",
    "MD5 and SHA-1 are broken for security use; use SHA-256 or better.",
)
INSECURE_RANDOM = rule(
    "js.insecure-random",
    Severity.medium,
    "CWE-338",
    "Math.random() is predictable; use crypto.randomBytes or crypto.getRandomValues for tokens and secrets.",
)
VM_RUN = rule(
    "js.vm-run",
    Severity.high,
    "CWE-95",
    "The vm module is not a security sandbox; never run untrusted code with it.",
)
SQL_INJECTION = rule(
    "js.sql-injection",
    Severity.high,
    "CWE-89",
    "SQL built by concatenation or template literals is injectable; use placeholders and pass values separately.",
)
TLS_REJECT = rule(
    "js.tls-reject-unauthorized",
    Severity.high,
    "CWE-295",
    "rejectUnauthorized: false turns off certificate checks; keep it on and supply the CA certificate instead.",
)
NODE_TLS_ENV = rule(
    "js.node-tls-reject-unauthorized",
    Severity.high,
    "CWE-295",
    "NODE_TLS_REJECT_UNAUTHORIZED=0 disables TLS verification process-wide; configure the CA (NODE_EXTRA_CA_CERTS) instead.",
)
RULES = (
    EVAL,
    NEW_FUNCTION,
    TIMER_STRING,
    CHILD_PROCESS,
    INNER_HTML,
    DOCUMENT_WRITE,
    DANGEROUS_HTML,
    WEAK_HASH,
    INSECURE_RANDOM,
    VM_RUN,
    SQL_INJECTION,
    TLS_REJECT,
    NODE_TLS_ENV,
)

_DYNAMIC = re.compile(r"\$\{|[\"'`]\s*\+|\+\s*[\"'`]|\+\s*[A-Za-z_$]")
_SQL_WORDS = re.compile(r"(?i)\b(?:select|insert|update|delete|drop|where|from|into|values)\b")
_CONSTANT = re.compile(r"\s*(?:\"[^\"\n]*\"|'[^'\n]*'|`[^`$]*`)\s*\)?\s*;?\s*$")
_SANITIZED = re.compile(r"(?i)sanitize|escape|encode")
_SECURITY_TEXT = re.compile(
    r"(?i)token|passw|secret|salt|nonce|\botp\b|api_?key|session|csrf|\bauth(?!or)|credential"
)
# where a function starts: `function makeToken(`, `makeToken = (…) =>`, `makeToken(len) {` in a class
_FUNCTION_HEADER = re.compile(
    r"\bfunction\b|^[ \t]*(?:(?:export|const|let|var|async|static)[ \t]+)*[\w$]+[ \t]*[=:][ \t]*(?:async[ \t]*)?\("
    r"|^[ \t]*(?:async[ \t]+)?(?!(?:if|for|while|switch|catch|with)\b)[\w$]+[ \t]*\([^)]*\)[ \t]*\{"
)
_RECENT_ASSIGNMENTS = 3  # `sql = "…"; sql += "…" + x;` — enough to see how the string was built
_IDENT_ARG = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*(?:,|$)")


def _assigned_value(name: str, source: Source, before: int) -> str:
    """The last few right-hand sides given to `name` above `before` (`=` and `+=`), joined."""

    def find() -> list[int]:
        pattern = re.compile(rf"{re.escape(name)}(?<![\w$.]{re.escape(name)})\s*\+?=(?![=>])")
        return [match.end() for match in pattern.finditer(source.text)]

    ends: list[int] = source.memo(("assigned", name), find)
    recent = ends[max(0, bisect_left(ends, before) - _RECENT_ASSIGNMENTS) : bisect_left(ends, before)]
    return " ".join(source.expression(end) for end in recent)


def _built_string(match: re.Match[str], source: Source, need_sql: bool) -> bool:
    args = source.call_args(match.end() - 1)
    ident = _IDENT_ARG.match(args)
    if ident:  # a variable: judge the string it was built from
        args = _assigned_value(ident.group(1), source, match.start())
    return _DYNAMIC.search(args) is not None and (not need_sql or _SQL_WORDS.search(args) is not None)


def _exec_check(match: re.Match[str], source: Source) -> Severity | None:
    return CHILD_PROCESS.severity if _built_string(match, source, need_sql=False) else None


def _sql_check(match: re.Match[str], source: Source) -> Severity | None:
    return SQL_INJECTION.severity if _built_string(match, source, need_sql=True) else None


def _html_check(match: re.Match[str], source: Source) -> Severity | None:
    # constant markup and sanitised values are fine; anything else may carry user input
    value = source.rest_of_line(match.end())
    return None if _CONSTANT.match(value) or _SANITIZED.search(value) else INNER_HTML.severity


def _write_check(match: re.Match[str], source: Source) -> Severity | None:
    args = source.call_args(match.end() - 1)
    return None if _CONSTANT.match(args) or _SANITIZED.search(args) else DOCUMENT_WRITE.severity


def _dangerous_check(match: re.Match[str], source: Source) -> Severity | None:
    return None if _SANITIZED.search(source.rest_of_line(match.end())) else DANGEROUS_HTML.severity


LINE_RULES = (
    LineRule(EVAL, re.compile(rf"(?:{word('eval')}|window\.eval)\s*\("), hints=("eval",)),
    LineRule(NEW_FUNCTION, re.compile(r"new\s+Function\s*\("), hints=("function",)),
    LineRule(
        TIMER_STRING,
        re.compile(rf"(?:{word('setTimeout', 'setInterval')}|window\.set(?:Timeout|Interval))\s*\(\s*[\"'`]"),
        hints=("settimeout", "setinterval"),
    ),
    LineRule(
        CHILD_PROCESS,
        re.compile(
            rf"(?:{word('exec', 'execSync')}|(?:child_process|childProcess|cp)\.exec(?:Sync)?"
            r"|require\(\s*[\"'`]child_process[\"'`]\s*\)\.exec(?:Sync)?)\s*\("
        ),
        _exec_check,
        hints=("exec",),
        requires="child_process",
    ),
    LineRule(
        INNER_HTML,
        re.compile(r"\.(?:innerHTML|outerHTML)\s*\+?=(?!=)"),
        _html_check,
        hints=("innerhtml", "outerhtml"),
    ),
    LineRule(
        INNER_HTML,
        re.compile(r"\.insertAdjacentHTML\s*\([^,\n]*,"),
        _html_check,
        hints=("insertadjacenthtml",),
    ),
    LineRule(
        DOCUMENT_WRITE,
        re.compile(rf"{word('document')}\.write(?:ln)?\s*\("),
        _write_check,
        hints=("document.write",),
    ),
    LineRule(
        DANGEROUS_HTML,
        re.compile(r"dangerouslySetInnerHTML\s*=\s*\{"),
        _dangerous_check,
        hints=("dangerouslysetinnerhtml",),
    ),
    LineRule(
        WEAK_HASH,
        re.compile(r"createHash\s*\(\s*[\"'`](?i:md5|md4|sha1)[\"'`]|CryptoJS\.(?:MD5|SHA1)\s*\("),
        hints=("createhash", "cryptojs"),
    ),
    LineRule(
        INSECURE_RANDOM,
        re.compile(r"Math\.random\s*\(\s*\)"),
        context_check(INSECURE_RANDOM.severity, _SECURITY_TEXT, _FUNCTION_HEADER),
        hints=("math.random",),
    ),
    LineRule(
        VM_RUN,
        re.compile(
            rf"{word('vm')}\.(?:runInNewContext|runInThisContext|runInContext|compileFunction)\s*\("
            r"|new\s+vm\.Script\s*\("
        ),
        hints=("vm.",),
    ),
    LineRule(
        SQL_INJECTION,
        re.compile(r"\.(?:query|execute|raw|prepare|run|all)\s*\("),
        _sql_check,
        hints=("query", "execute", "raw", "prepare", ".run", ".all"),
    ),
    LineRule(
        TLS_REJECT,
        re.compile(r"(?:rejectUnauthorized|strictSSL)\s*:\s*false\b"),
        hints=("rejectunauthorized", "strictssl"),
    ),
    LineRule(
        NODE_TLS_ENV,
        re.compile(r"NODE_TLS_REJECT_UNAUTHORIZED[\"'`]?\]?\s*=\s*[\"'`]?0"),
        hints=("node_tls_reject_unauthorized",),
        in_strings=True,  # process.env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0"
    ),
    ASSIGNMENT_RULE,
)
