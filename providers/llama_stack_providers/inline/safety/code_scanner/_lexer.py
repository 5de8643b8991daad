"""Comment blanking, string-literal spans and the runner for regex line rules."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._model import Hit, Rule, Severity

# One alternation per lexical family; finditer takes the leftmost token, so a quote inside a comment
# (or a comment marker inside a string) is swallowed by whichever token started first, as in a real lexer.
_C_LIKE = re.compile(
    r"//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\[\s\S]|[^`\\])*`"
)
_PYTHON = re.compile(
    r"#[^\n]*"
    r"|[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?(?:\"\"\"|\Z)|'''[\s\S]*?(?:'''|\Z)|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')"
)
# `#` starts a shell comment only at the start of a word, so `$#` and `${#x}` stay code.
_SHELL = re.compile(r"#(?<![^\s;|&(]#)[^\n]*|'[^']*'|\"(?:\\[\s\S]|[^\"\\])*\"|\\[\s\S]")

_LEXERS: dict[str, re.Pattern[str]] = {
    "c": _C_LIKE,
    "cpp": _C_LIKE,
    "javascript": _C_LIKE,
    "python": _PYTHON,
    "shell": _SHELL,
}
_NOT_NEWLINE = re.compile(r"[^\n]")
_MAX_HEADER_CHARS = 300


@dataclass(frozen=True)
class Source:
    """Code with comments blanked to spaces (offsets and line numbers unchanged) and its string spans."""

    text: str
    lower: str  # text.lower(), for the rules' cheap substring pre-checks
    line_starts: tuple[int, ...]
    string_starts: tuple[int, ...]
    string_ends: tuple[int, ...]
    # per-source results that several matches need (e.g. where a variable is assigned), computed once
    _memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @classmethod
    def build(cls, code: str, language: str | None) -> Source:
        lexer = _LEXERS.get(language or "")
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        last = 0
        for token in lexer.finditer(code) if lexer else ():
            text = token.group()
            if text[0] == "\\":  # a shell escape: code, only matched so `\"` opens no string
                continue
            pieces.append(code[last : token.start()])
            if _is_comment(text, language):
                pieces.append(_NOT_NEWLINE.sub(" ", text))
            else:
                pieces.append(text)
                starts.append(token.start())
                ends.append(token.end())
            last = token.end()
        pieces.append(code[last:])
        line_starts = [0] + [m.end() for m in re.finditer("\n", code)]
        text = "".join(pieces)
        return cls(text, text.lower(), tuple(line_starts), tuple(starts), tuple(ends))

    def line_of(self, pos: int) -> int:
        """1-based line number of an offset."""
        return bisect_right(self.line_starts, pos)

    def line_text(self, pos: int) -> str:
        """The (comment-blanked) line holding an offset."""
        start = self.line_starts[self.line_of(pos) - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def rest_of_line(self, pos: int) -> str:
        end = self.text.find("\n", pos)
        return self.text[pos : end if end >= 0 else len(self.text)]

    def context(self, pos: int, header: re.Pattern[str], max_lines: int = 30) -> str:
        """The line holding `pos` plus the nearest line above it matching `header` (the enclosing function's
        signature), so `token = …rand()…` and `def make_token(): … rand()` both read as about tokens."""
        line = self.line_of(pos)
        text = self.line_text(pos)
        for above in range(line - 2, max(-1, line - 2 - max_lines), -1):
            candidate = self.line_text(self.line_starts[above])
            # long lines are not signatures, and skipping them bounds the regex work on hostile input
            if len(candidate) <= _MAX_HEADER_CHARS and header.search(candidate):
                return f"{candidate}\n{text}"
        return text

    def in_string(self, pos: int) -> bool:
        index = bisect_right(self.string_starts, pos) - 1
        return index >= 0 and pos < self.string_ends[index]

    def _scan(self, pos: int, stop: str, limit: int) -> str:
        """Text from `pos` to the first `stop` character at bracket depth 0 outside strings."""
        depth, index, end = 0, pos, min(len(self.text), pos + limit)
        while index < end:
            slot = bisect_right(self.string_starts, index) - 1
            if slot >= 0 and index < self.string_ends[slot]:
                index = self.string_ends[slot]
                continue
            char = self.text[index]
            if depth == 0 and char in stop:
                break
            depth += (char in "([{") - (char in ")]}")
            index += 1
        return self.text[pos:index]

    def call_args(self, open_paren: int, limit: int = 600) -> str:
        """The argument text of a call whose `(` sits at `open_paren`."""
        return self._scan(open_paren + 1, ")", limit)

    def expression(self, pos: int, limit: int = 600) -> str:
        """The expression starting at `pos`, up to `;` or the end of its line (strings may span lines)."""
        return self._scan(pos, ";\n", limit)


def _is_comment(token: str, language: str | None) -> bool:
    if language in ("python", "shell"):
        return token[0] == "#"
    return token[:2] in ("//", "/*")


# A check sees the match and the source and returns the severity to report, or None to drop the match.
Check = Callable[[re.Match[str], Source], Severity | None]


@dataclass(frozen=True)
class LineRule:
    """A regex rule run over comment-blanked code; it fires where the match starts outside string literals.

    Speed matters (a 200-line message must scan in a few milliseconds): patterns should start with a literal,
    which lets the regex engine skip ahead, and `hints` name lowercase substrings without which the rule
    cannot match, so most rules cost one `in` test on most code."""

    rule: Rule
    pattern: re.Pattern[str]
    check: Check | None = None
    hints: tuple[str, ...] = ()
    in_strings: bool = False  # for rules about string content itself (sudoers lines written by echo)
    requires: str | None = None  # the code must contain this somewhere for the rule to apply
    # run the pattern only on lines holding a hint (for patterns that cannot start with a literal)
    per_line: bool = False


def _matches(line_rule: LineRule, source: Source) -> Iterator[re.Match[str]]:
    if not line_rule.per_line:
        yield from line_rule.pattern.finditer(source.text)
        return
    starts = source.line_starts
    for index, line in enumerate(source.lower.split("\n")):
        if any(hint in line for hint in line_rule.hints):
            yield from line_rule.pattern.finditer(source.text, starts[index], starts[index] + len(line))


def run_line_rules(source: Source, rules: Iterable[LineRule]) -> Iterator[Hit]:
    for line_rule in rules:
        if line_rule.hints and not any(hint in source.lower for hint in line_rule.hints):
            continue
        if line_rule.requires is not None and line_rule.requires not in source.text:
            continue
        for match in _matches(line_rule, source):
            if not line_rule.in_strings and source.in_string(match.start()):
                continue
            severity = line_rule.rule.severity if line_rule.check is None else line_rule.check(match, source)
            if severity is not None:
                yield Hit(line_rule.rule, source.line_of(match.start()), severity)


def rule(rule_id: str, severity: Severity, cwe: str | None, message: str) -> Rule:
    """Shorthand for the rule tables."""
    return Rule(rule_id, severity, cwe, message)


def word(*names: str, not_after: str = r"[\w.$]") -> str:
    """A regex for any of `names` not preceded by a `not_after` character (an identifier character or member
    access by default). The lookbehind sits after the name so the pattern still starts with a literal."""
    return "(?:" + "|".join(f"{re.escape(name)}(?<!{not_after}{re.escape(name)})" for name in names) + ")"


def context_check(severity: Severity, words: re.Pattern[str], header: re.Pattern[str]) -> Check:
    """Report at `severity` only when the line or its enclosing function's signature matches `words`
    (for rules like "rand() used for a token", where the call alone is harmless)."""

    def check(match: re.Match[str], source: Source) -> Severity | None:
        return severity if words.search(source.context(match.start(), header)) else None

    return check
