"""HTML to text with the standard library's parser: visible text only, block structure kept as newlines."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from ._common import ExtractionError, TextBudget, decode_text

# Elements whose content is never visible text; html.parser already treats script/style bodies as raw.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
# What may appear in <head>; any other start tag means the body began even without <body>.
_HEAD_CONTENT = frozenset({"title", "meta", "link", "base", "style", "script", "noscript", "template"})
# Blank line around these: the chunker prefers to end chunks at paragraph breaks.
_PARAGRAPH_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "ul", "ol", "dl", "figure", "hr"}
    | {"section", "article", "header", "footer", "aside", "main", "nav", "form", "fieldset", "details"}
)
_LINE_BLOCKS = frozenset(
    {"div", "li", "tr", "dt", "dd", "br", "caption", "figcaption", "summary", "address", "option"}
    | {"thead", "tbody", "tfoot", "body", "html", "dialog", "legend", "center"}
)
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class _TextCollector(HTMLParser):
    """Collects visible text; a flat state machine (no element stack), so deep nesting costs nothing."""

    def __init__(self, budget: TextBudget) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive decoded in handle_data
        self._budget = budget
        self._parts: list[str] = []
        self._hidden = 0  # depth inside _HIDDEN elements
        self._in_head = False
        self._pre = 0
        self._title: list[str] | None = None  # collecting while inside <title>
        self.title: str | None = None
        self._pending_breaks = 0
        self._at_line_start = True
        self._row_has_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._title is not None:
            self._finish_title()  # a title holds no elements: this one was never closed
        if tag == "head":
            self._in_head = True
        elif self._in_head and (tag == "body" or tag not in _HEAD_CONTENT):
            self._in_head = False
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "title" and self.title is None and not self._hidden:
            self._title = []
        elif tag == "pre":
            self._pre += 1
        self._block(tag, opening=True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "title" and self._title is not None:
            self._finish_title()
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        self._block(tag, opening=False)

    def _finish_title(self) -> None:
        assert self._title is not None
        self.title = _SPACES.sub(" ", "".join(self._title)).strip() or None
        self._title = None

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._budget.spend(len(data))
            self._title.append(data)
            return
        if self._hidden or self._in_head:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if self._at_line_start or self._pending_breaks:
                data = data.lstrip(" ")  # whitespace between blocks is layout, not text
            if not data:
                return
        self._flush_breaks()
        self._emit(data)
        self._at_line_start = data.endswith("\n")

    # CPython's parser (before 3.13) raises AssertionError on an unknown ``<![keyword[`` section or an odd
    # DOCTYPE internal subset; browsers treat both as bogus comments, and so do we.
    def parse_marked_section(self, i: int, report: bool = True) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return self._skip_bogus_comment(i)

    def parse_declaration(self, i: int) -> int:
        try:
            return super().parse_declaration(i)
        except AssertionError:
            return self._skip_bogus_comment(i)

    def _skip_bogus_comment(self, i: int) -> int:
        end = self.rawdata.find(">", i + 2)
        return -1 if end < 0 else end + 1  # -1: incomplete; at close() the parser emits the rest as text

    def _block(self, tag: str, *, opening: bool) -> None:
        if tag in _PARAGRAPH_BLOCKS:
            self._pending_breaks = max(self._pending_breaks, 2)
        elif tag in _LINE_BLOCKS:
            self._pending_breaks = max(self._pending_breaks, 1)
            if tag == "tr":
                self._row_has_cell = False
            elif tag == "li" and opening and not self._hidden and not self._in_head:
                self._flush_breaks()
                self._emit("- ")
                self._at_line_start = True  # so the item's leading whitespace is dropped
        elif tag in _CELLS and opening:
            if self._row_has_cell and not self._at_line_start:
                self._emit(" | ")
                self._at_line_start = True
            self._row_has_cell = True

    def _flush_breaks(self) -> None:
        if self._pending_breaks and self._parts:
            self._parts[-1] = self._parts[-1].rstrip(" ")
            self._emit("\n" * self._pending_breaks)
            self._at_line_start = True
        self._pending_breaks = 0

    def _emit(self, text: str) -> None:
        self._budget.spend(len(text))
        self._parts.append(text)

    def text(self) -> str:
        return "".join(self._parts).strip()


def _meta_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in its first bytes, as the HTML spec's prescan looks."""
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # A document read byte-wise can't really be UTF-16; the spec says to take such a label as UTF-8.
    return "utf-8" if name.startswith("utf-16") else name


def extract_html(data: bytes, charset: str | None, budget: TextBudget) -> tuple[str, dict[str, str]]:
    """The visible text of an HTML document and its metadata (``title``, ``encoding``)."""
    text, encoding = decode_text(data, charset or _meta_charset(data))
    parser = _TextCollector(budget)
    try:
        parser.feed(text)
        parser.close()
    except AssertionError as exc:  # any other "should not happen" of html.parser on hostile markup
        raise ExtractionError(f"cannot parse the HTML: {exc}") from exc
    metadata = {"encoding": encoding}
    if parser.title:
        metadata["title"] = parser.title
    return parser.text(), metadata
