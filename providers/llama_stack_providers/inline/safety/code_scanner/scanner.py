"""Insecure-code scanner: find code in a chat message and report the security rules it breaks."""

from __future__ import annotations

import re

from . import rules
from ._language import detect_language, normalise_language, unfenced_code
from ._model import CodeBlock, Finding, Hit, Severity
from ._secrets import HARDCODED_SECRET, TOKEN_RULES, scan_tokens

__all__ = [
    "CodeBlock",
    "Finding",
    "Severity",
    "detect_language",
    "extract_code_blocks",
    "scan_code",
    "scan_text",
]

_SNIPPET_CHARS = 200

# --- fenced blocks -------------------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def _fenced(lines: list[str]) -> list[tuple[CodeBlock, int, int]]:
    """Fenced blocks with the 0-based indices of their opening and closing fence lines."""
    found = []
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            index += 1  # not a fence (``` ... ``` on one line is inline code)
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((i for i in range(index + 1, len(lines)) if closing.match(lines[i])), len(lines))
        # content is dedented by the fence's own indent, as CommonMark does for fences inside list items
        body = [_dedent(line, indent) for line in lines[index + 1 : end]]
        block = CodeBlock(normalise_language(opening["info"]), "\n".join(body), index + 2)
        found.append((block, index, end))
        index = end + 1
    return found


def _dedent(line: str, width: int) -> str:
    stripped = line.lstrip(" \t")
    return line[min(width, len(line) - len(stripped)) :]


def extract_code_blocks(text: str) -> list[CodeBlock]:
    """Markdown fenced blocks (``` and ~~~ with info strings); without fences, the whole text when it looks
    like code (language guessed), else nothing."""
    text = _normalise_newlines(text)
    blocks = [block for block, _open, _close in _fenced(text.split("\n"))]
    return blocks or _unfenced(text)


def _unfenced(text: str) -> list[CodeBlock]:
    is_code, language = unfenced_code(text)
    return [CodeBlock(language, text, 1)] if is_code else []


# --- scanning -----------------------------------------------------------------------------------------


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _finding(hit: Hit, language: str, lines: list[str], line_offset: int) -> Finding:
    snippet = lines[hit.line - 1].strip() if 0 < hit.line <= len(lines) else ""
    if len(snippet) > _SNIPPET_CHARS:
        snippet = snippet[: _SNIPPET_CHARS - 1] + "…"
    rule = hit.rule
    return Finding(rule.id, language, hit.line + line_offset, hit.severity, rule.message, rule.cwe, snippet)


def _tidy(findings: list[Finding]) -> list[Finding]:
    """Sort by line, one finding per (line, rule), and drop the name-based secret rule on lines where a
    key-shaped token was already reported (same secret, more specific rule)."""
    token_ids = {rule.id for rule in TOKEN_RULES}
    token_lines = {finding.line for finding in findings if finding.rule_id in token_ids}
    best: dict[tuple[int, str], Finding] = {}
    for finding in findings:
        if finding.rule_id == HARDCODED_SECRET.id and finding.line in token_lines:
            continue
        key = (finding.line, finding.rule_id)
        if key not in best or finding.severity > best[key].severity:
            best[key] = finding
    return sorted(best.values(), key=lambda f: (f.line, -f.severity, f.rule_id))


def scan_code(code: str, language: str | None = None, *, line_offset: int = 0) -> list[Finding]:
    """Scan one piece of code; language None → guess, and if still unknown run the language-independent rules only."""
    code = _normalise_newlines(code)
    language = normalise_language(language) or detect_language(code)
    lines = code.split("\n")
    hits = rules.scan(code, language)
    return _tidy([_finding(hit, language or "text", lines, line_offset) for hit in hits])


def scan_text(text: str) -> list[Finding]:
    """Scan a whole chat message: every code block, findings sorted by line, de-duplicated. Key-shaped
    secrets (AWS, GitHub, private keys, …) are also reported in the prose around the blocks."""
    text = _normalise_newlines(text)
    lines = text.split("\n")
    fenced = _fenced(lines)
    blocks = [block for block, _open, _close in fenced] or _unfenced(text)
    findings = [
        finding
        for block in blocks
        for finding in scan_code(block.code, block.language, line_offset=block.start_line - 1)
    ]
    # the prose around the blocks (blanked where a block sits, so line numbers still count from the top)
    prose = [] if blocks and not fenced else list(lines)
    for _block, open_index, close_index in fenced:
        for index in range(open_index, min(close_index, len(lines) - 1) + 1):
            prose[index] = ""
    findings += [_finding(hit, "text", lines, 0) for hit in scan_tokens("\n".join(prose))]
    return _tidy(findings)
