"""Language-independent rules: hard-coded credentials, by token shape and by variable name."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from ._lexer import LineRule, Source, rule
from ._model import Hit, Rule, Severity

HARDCODED_SECRET = rule(
    "generic.hardcoded-secret",
    Severity.high,
    "CWE-798",
    "A credential is hard-coded in source; read it from the environment or a secrets manager instead.",
)
AWS_KEY = rule(
    "generic.aws-access-key",
    Severity.high,
    "CWE-798",
    "An AWS access key id is embedded in the text; revoke it and load credentials from the environment or an IAM role.",
)
PRIVATE_KEY = rule(
    "generic.private-key",
    Severity.critical,
    "CWE-321",
    "A private key is embedded in the text; revoke it and load keys from a file or secrets store outside the code.",
)
GITHUB_TOKEN = rule(
    "generic.github-token",
    Severity.critical,
    "CWE-798",
    "A GitHub token is embedded in the text; revoke it and read tokens from the environment.",
)
SLACK_TOKEN = rule(
    "generic.slack-token",
    Severity.high,
    "CWE-798",
    "A Slack token is embedded in the text; revoke it and read tokens from the environment.",
)
API_TOKEN = rule(
    "generic.api-token",
    Severity.high,
    "CWE-798",
    "A live API key (OpenAI, Anthropic, Stripe or Google) is embedded in the text; revoke it and read keys from the environment.",
)
TOKEN_RULES: tuple[Rule, ...] = (AWS_KEY, PRIVATE_KEY, GITHUB_TOKEN, SLACK_TOKEN, API_TOKEN)

_BASE64_BODY = re.compile(r"(?:\\n|\s)+(?:Proc-Type:|[A-Za-z0-9+/]{16})")


def _distinct(min_chars: int) -> Callable[[re.Match[str], str], bool]:
    # "ghp_xxxx…" and "sk-0000…" are placeholders: real keys use many different characters
    return lambda match, _text: len(set(match.group("body"))) >= min_chars and "EXAMPLE" not in match.group()


def _pem_has_body(match: re.Match[str], text: str) -> bool:
    # a bare header is code that looks for keys; a key has a base64 body right after it
    return _BASE64_BODY.match(text, match.end()) is not None


@dataclass(frozen=True)
class _TokenRule:
    rule: Rule
    hints: tuple[str, ...]  # the pattern runs only on text holding one of these (cheap `in` tests)
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str], str], bool]


# The shapes of provider-issued keys: specific enough to report even in comments and prose.
_TOKEN_RULES = (
    _TokenRule(
        AWS_KEY, ("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)(?P<body>[0-9A-Z]{16})\b"), _distinct(6)
    ),
    _TokenRule(
        PRIVATE_KEY,
        ("PRIVATE KEY",),
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
        _pem_has_body,
    ),
    _TokenRule(
        GITHUB_TOKEN,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"\b(?:gh[pousr]_(?P<body>[A-Za-z0-9]{36})|github_pat_(?P<pat>[A-Za-z0-9_]{60,}))\b"),
        lambda m, _t: len(set(m.group("body") or m.group("pat"))) >= 8,
    ),
    _TokenRule(SLACK_TOKEN, ("xox",), re.compile(r"\bxox[abposr]-(?P<body>[A-Za-z0-9-]{10,})"), _distinct(6)),
    _TokenRule(
        API_TOKEN,
        ("sk-", "sk_live_", "rk_live_", "AIza"),
        re.compile(
            r"\b(?:sk-(?:proj-|ant-(?:api\d\d-)?)?|sk_live_|rk_live_|AIza)(?P<body>[A-Za-z0-9_-]{32,})"
        ),
        _distinct(8),
    ),
)


def scan_tokens(text: str) -> list[Hit]:
    """Key-shaped strings anywhere in `text`, comments and prose included."""
    hits = []
    line_starts: list[int] = []
    for token_rule in _TOKEN_RULES:
        if not any(hint in text for hint in token_rule.hints):
            continue
        for match in token_rule.pattern.finditer(text):
            if token_rule.accept(match, text):
                line_starts = line_starts or [0] + [m.end() for m in re.finditer("\n", text)]
                line = bisect_right(line_starts, match.start())
                hits.append(Hit(token_rule.rule, line, token_rule.rule.severity))
    return hits


# --- credentials by variable name -------------------------------------------------------------------

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:password|passwd|passphrase|pass|pwd|secret|token|api_?key|access_?key|secret_?key"
    r"|private_?key|auth_?key|client_?secret|credentials?)$"
)
_PLACEHOLDER = re.compile(
    r"(?i)your|example|placeholder|replace|insert|change_?me|changeit|dummy|fake|redacted|sample|todo"
    r"|xxxx|\.\.\.|<|>|\{\{|\$\{|\$\(|^\$\w+$|^%\(?\w*\)?s$|^\{\w*\}$"
)
# Values that name the thing instead of being it ("password", "token"), or stand in for one in tests and docs.
_NON_SECRET_WORDS = frozenset(
    {"password", "passwd", "secret", "token", "test", "testing", "none", "null", "nil", "undefined", "empty"}
    | {"unused", "wrong", "invalid", "incorrect", "foo", "bar", "baz", "foobar", "mock", "bogus"}
)
# A snake/kebab-case name of a credential ("openai_api_key", "x-api-key"): a field or header name, not a value.
_CREDENTIAL_NAME = re.compile(r"_*[a-z]+(?:[_.-]+[a-z]+)+_*")
_CREDENTIAL_WORDS = re.compile(r"key|token|pass|secret|pwd|credential|auth")


def is_secret_name(name: str) -> bool:
    """`DB_PASSWORD`, `apiKey`, `self.secret_key`: names whose value is a credential (not `password_hash`)."""
    last = name.rsplit(".", 1)[-1].strip("$")
    return _SECRET_NAME.search(_CAMEL_BOUNDARY.sub("_", last).lower()) is not None


def is_placeholder(value: str) -> bool:
    """Values that are obviously meant to be replaced are not reported: "<your-password>", "changeme",
    "your_api_key_here", "xxxx", "${PASSWORD}", very short or single-character values, and prose."""
    stripped = value.strip()
    return (
        len(stripped) < 4
        or len(set(stripped)) < 3
        or any(ch.isspace() for ch in stripped)
        or stripped.lower() in _NON_SECRET_WORDS
        or _PLACEHOLDER.search(stripped) is not None
        or (
            _CREDENTIAL_NAME.fullmatch(stripped) is not None
            and _CREDENTIAL_WORDS.search(stripped) is not None
        )
    )


def is_compared_token(name: str) -> bool:
    """`token == "keyword"`: lexers and tokenizers compare a `token` with literals all the time."""
    return name.lower().endswith("token")


# name = "literal", name: "literal", "name": "literal", name == "literal", char name[] = "literal",
# #define NAME "literal". The name is matched loosely here and judged by is_secret_name.
_ASSIGNMENT = re.compile(
    r"(?:#[ \t]*define[ \t]+(?P<macro>\w+)[ \t]+"
    r"|(?<![\w$.])(?P<name>[A-Za-z_$][\w$.]*)[\"']?[ \t]*(?:\[\w*\][ \t]*|:[ \t]*[A-Za-z_][\w<>\[\]|.]*[ \t]*(?==))?"
    r"(?P<op>:=|===?|=>|=|:)[ \t]*)"
    r"[rbuRBU]?(?P<quote>[\"'`])(?P<value>[^\"'`\n]{1,200})(?P=quote)"
)


def _secret_assignment(match: re.Match[str], source: Source) -> Severity | None:
    group = "macro" if match.group("macro") else "name"
    start, end = match.span(group)
    # inside a string the name counts only as a quoted key ("password": "…"), not as text that mentions it
    if source.in_string(start):
        quote = source.text[start - 1 : start]
        if quote not in ("'", '"') or source.text[end : end + 1] != quote:
            return None
    name = match.group(group)
    if match.group("op") in ("==", "===") and is_compared_token(name):
        return None
    if is_secret_name(name) and not is_placeholder(match.group("value")):
        return HARDCODED_SECRET.severity
    return None


# substrings every secret-like name holds (lowercase): lines without one are not matched at all
SECRET_NAME_HINTS = ("pass", "pwd", "secret", "token", "key", "credential")
ASSIGNMENT_RULE = LineRule(
    HARDCODED_SECRET, _ASSIGNMENT, _secret_assignment, hints=SECRET_NAME_HINTS, in_strings=True, per_line=True
)
