"""Shell rules (sh, bash, zsh, console sessions): regexes over comment-blanked commands."""

from __future__ import annotations

import re

from ._lexer import LineRule, Source, rule, word
from ._model import Severity
from ._secrets import ASSIGNMENT_RULE, HARDCODED_SECRET, SECRET_NAME_HINTS, is_placeholder, is_secret_name

CURL_PIPE_SH = rule(
    "shell.curl-pipe-sh",
    Severity.high,
    "CWE-494",
    "Piping a download straight into a shell runs unreviewed code; download, verify a checksum or signature, then run it.",
)
EVAL = rule(
    "shell.eval",
    Severity.high,
    "CWE-95",
    "eval on a variable re-parses its contents as shell code; run the command directly or use an array.",
)
CHMOD_777 = rule(
    "shell.chmod-world-writable",
    Severity.medium,
    "CWE-732",
    "World-writable permissions (chmod 777/666, o+w) let any user modify the file; grant only what is needed (755, 644).",
)
RM_RF_ROOT = rule(
    "shell.rm-rf-root",
    Severity.critical,
    "CWE-1188",
    "rm -rf on / or the home directory destroys the system; name the exact directory to delete.",
)
RM_RF_VARIABLE = rule(
    "shell.rm-rf-variable",
    Severity.high,
    "CWE-1188",
    'rm -rf "$VAR/" deletes from / when VAR is empty or unset; use "${VAR:?}/" so an empty VAR aborts.',
)
INSECURE_TLS = rule(
    "shell.insecure-tls",
    Severity.high,
    "CWE-295",
    "TLS certificate checking is disabled (curl -k, --insecure, --no-check-certificate); fix the CA setup instead.",
)
PASSWORD_ARG = rule(
    "shell.password-on-command-line",
    Severity.medium,
    "CWE-214",
    "A password on the command line is visible to other users in ps and shell history; use an env var, a file or a prompt.",
)
NOPASSWD = rule(
    "shell.sudoers-nopasswd",
    Severity.high,
    "CWE-269",
    "A NOPASSWD sudoers entry grants root without authentication; limit it to specific commands or require a password.",
)
SSH_NO_HOST_KEY = rule(
    "shell.ssh-host-key-check-disabled",
    Severity.medium,
    "CWE-295",
    "StrictHostKeyChecking=no accepts any host key (man-in-the-middle); add the host key to known_hosts instead.",
)
RULES = (
    CURL_PIPE_SH,
    EVAL,
    CHMOD_777,
    RM_RF_ROOT,
    RM_RF_VARIABLE,
    INSECURE_TLS,
    PASSWORD_ARG,
    NOPASSWD,
    SSH_NO_HOST_KEY,
)

_SHELLS = r"(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+)?(?:/usr)?(?:/bin/)?(?:ba|z|k|da|fi)?sh\b|python[\d.]*\b|perl\b|ruby\b|node\b"
_ROOT_TARGETS = frozenset(
    {"/", "/*", "/.", "~", "~/", "~/*", "$HOME", "$HOME/", "$HOME/*", "${HOME}", "${HOME}/"}
)
# "$DIR/", $DIR/*, "${DIR}"/x: a variable first, then a slash. ${DIR:?} (abort when empty) and ${DIR:-/x}
# (a non-empty default) are the safe spellings; ${DIR:-} is not.
_VARIABLE_PREFIX = re.compile(r"^[\"']?\$\{?(?P<name>\w+)(?P<guard>:\?[^}]*|:-[^}]+)?(?::-)?\}?[\"']?/")


def _rm_parts(match: re.Match[str]) -> tuple[bool, bool, list[str]]:
    """(recursive, no-preserve-root, targets) of one rm command."""
    words = match.group("args").split()
    flags = [word for word in words if word.startswith("-")]
    recursive = any(
        flag in ("--recursive", "-r", "-R") or (not flag.startswith("--") and "r" in flag.lower())
        for flag in flags
    )
    targets = [
        word.strip("\"'") if word.strip("\"'") in _ROOT_TARGETS else word
        for word in words
        if word not in flags
    ]
    return recursive, "--no-preserve-root" in flags, targets


def _rm_root_check(match: re.Match[str], _source: Source) -> Severity | None:
    recursive, no_preserve, targets = _rm_parts(match)
    hits_root = no_preserve or any(target in _ROOT_TARGETS for target in targets)
    return RM_RF_ROOT.severity if recursive and hits_root else None


def _rm_variable_check(match: re.Match[str], _source: Source) -> Severity | None:
    recursive, _no_preserve, targets = _rm_parts(match)
    for target in targets:
        prefix = _VARIABLE_PREFIX.match(target)
        if recursive and prefix and not prefix.group("guard") and prefix.group("name") != "HOME":
            return RM_RF_VARIABLE.severity
    return None


def _nopasswd_check(match: re.Match[str], source: Source) -> Severity | None:
    # NOPASSWD for one named command is a common, deliberate setup; for ALL it is root without a password
    return NOPASSWD.severity if re.match(r"\s*ALL\b", source.rest_of_line(match.end())) else Severity.low


def _bare_secret_check(match: re.Match[str], _source: Source) -> Severity | None:
    name, value = match.group("name"), match.group("value")
    return HARDCODED_SECRET.severity if is_secret_name(name) and not is_placeholder(value) else None


def _command(*names: str) -> str:
    """A command word: not glued to a longer word or a `--flag`."""
    return word(*names, not_after=r"[\w-]")


# `sh -c "$(curl …)"`, `bash <(curl …)`, `eval "$(wget …)"`, `source <(curl …)`: what runs the substitution
_RUNS_SUBSTITUTION = re.compile(
    r"(?:(?<![\w-])(?:ba|z|k|da)?sh\s+(?:-\w+\s+)*|(?<![\w-])(?:eval|source)\s+|(?<!\S)\.\s+)[\"']?$"
)


def _substitution_check(match: re.Match[str], source: Source) -> Severity | None:
    line_start = source.line_starts[source.line_of(match.start()) - 1]
    runner = _RUNS_SUBSTITUTION.search(source.text, line_start, match.start())
    if runner is None or source.in_string(runner.start()):
        return None
    return CURL_PIPE_SH.severity


_CONTINUED = r"(?:[^|\n]|\\\n)*"  # the rest of a command, across backslash-continued lines

LINE_RULES = (
    LineRule(
        CURL_PIPE_SH,
        re.compile(_command("curl", "wget") + _CONTINUED + r"\|\s*(?:" + _SHELLS + ")"),
        hints=("curl", "wget"),
    ),
    LineRule(
        CURL_PIPE_SH,
        re.compile(r"[$<]\(\s*(?:curl|wget)\b"),
        _substitution_check,
        hints=("curl", "wget"),
        in_strings=True,  # "$(curl …)" sits inside the quotes; the check looks at what runs it
    ),
    LineRule(EVAL, re.compile(_command("eval") + r"\s+[\"']?\$(?:\{|\w|@|\*)"), hints=("eval",)),
    LineRule(
        CHMOD_777,
        re.compile(
            _command("chmod")
            + r"\s+(?:-\w+\s+)*(?:0?[0-7]{2}[2367]|[ug]*[oa][ugoa]*\+[rxXst]*w|[ugoa]*=rwx)(?!\w)"
        ),
        hints=("chmod",),
    ),
    LineRule(
        RM_RF_ROOT, re.compile(_command("rm") + r"\s+(?P<args>[^;&|\n]*)"), _rm_root_check, hints=("rm",)
    ),
    LineRule(
        RM_RF_VARIABLE,
        re.compile(_command("rm") + r"\s+(?P<args>[^;&|\n]*)"),
        _rm_variable_check,
        hints=("rm",),
    ),
    LineRule(
        INSECURE_TLS,
        re.compile(_command("curl") + r"[^\n|;&]*\s(?:-[a-jl-zA-Z]*k[a-zA-Z]*|--insecure)(?![\w-])"),
        hints=("curl",),
    ),
    LineRule(
        INSECURE_TLS,
        re.compile(
            r"--(?:no-check-certificate|insecure-skip-tls-verify(?:=true)?|no-verify-ssl)(?![\w-])"
            r"|http\.ssl[Vv]erify[= ]+false\b|GIT_SSL_NO_VERIFY=(?:1|true)\b|NODE_TLS_REJECT_UNAUTHORIZED=[\"']?0"
            r"|PYTHONHTTPSVERIFY=[\"']?0|strict-ssl\s+false\b"
        ),
        hints=("--no-", "--insecure", "sslverify", "_verify", "node_tls", "strict-ssl"),
    ),
    LineRule(
        PASSWORD_ARG,
        re.compile(
            r"sshpass\s+-p\s*\S"
            r"|mysql(?:dump|admin)?\b[^\n|;&]*\s(?:-p(?=[^\s-])|--password=)"
            r"|curl\b[^\n|;&]*\s(?:-u|--user)\s*[\"']?[^\s:\"']+:[^\s\"'@]+"
            r"|docker\s+login\b[^\n|;&]*\s(?:-p|--password)[\s=]+\S"
        ),
        hints=("sshpass", "mysql", "curl", "docker"),
    ),
    LineRule(NOPASSWD, re.compile(r"NOPASSWD\s*:"), _nopasswd_check, hints=("nopasswd",), in_strings=True),
    LineRule(
        SSH_NO_HOST_KEY,
        re.compile(r"StrictHostKeyChecking(?:[ \t]*=[ \t]*|[ \t]+)[\"']?(?i:no)\b"),
        hints=("stricthostkeychecking",),
        in_strings=True,  # usually inside -o "…"
    ),
    ASSIGNMENT_RULE,
    LineRule(
        HARDCODED_SECRET,
        re.compile(r"(?<![\w$])(?:export\s+)?(?P<name>[A-Za-z_]\w*)=(?P<value>[^\s\"'`$;|&()<>]+)"),
        _bare_secret_check,
        hints=SECRET_NAME_HINTS,
        per_line=True,
    ),
)
