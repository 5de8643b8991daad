"""JSON, JSON Lines and CSV rendered as text lines that keep keys and column names next to each value."""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

from ._common import ExtractionError, TextBudget

# Beyond this depth a subtree is written as compact JSON under its path: paths stay readable and the
# output stays linear in the input however deep the nesting.
MAX_JSON_PATH_DEPTH = 16
_SCALARS = (str, int, float, bool, type(None))
# The delimiter is guessed from the first rows.
_SNIFF_SAMPLE_CHARS = 16_384
_SNIFF_ROWS = 50
_SNIFF_DELIMITERS = ",;\t|"


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _render_value(value: Any, budget: TextBudget, lines: list[str], *, sections: bool = True) -> None:
    """Append ``path: value`` lines for ``value``, walking it with an explicit stack (no recursion).

    With ``sections``, each top-level key holding a container starts after a blank line, a paragraph
    break for the chunker; records go without, so that blank lines separate only the records.
    """
    stack: list[tuple[str, int, Any]] = [("", 0, value)]
    while stack:
        path, depth, item = stack.pop()
        if sections and depth == 1 and isinstance(item, dict | list) and item and lines and lines[-1]:
            lines.append("")  # a blank line before each top-level section: a paragraph for the chunker
        if isinstance(item, dict | list) and item and depth >= MAX_JSON_PATH_DEPTH:
            try:
                line = f"{path}: {json.dumps(item, ensure_ascii=False)}"
            except RecursionError as exc:  # only reachable for input json.loads itself nearly refused
                raise ExtractionError("the JSON is nested too deeply") from exc
        elif isinstance(item, dict):
            if not item:
                line = f"{path}: {{}}" if path else "{}"
            else:
                # Reversed onto the stack so that keys come out in document order.
                for key in reversed(item):
                    stack.append((f"{path}.{key}" if path else str(key), depth + 1, item[key]))
                continue
        elif isinstance(item, list):
            if all(isinstance(element, _SCALARS) for element in item):
                # Arrays of scalars read best flattened onto one line: "tags: a, b, c".
                rendered = ", ".join(_scalar(element) for element in item) if item else "[]"
                line = f"{path}: {rendered}" if path else rendered
            else:
                for i in reversed(range(len(item))):
                    stack.append((f"{path}[{i}]", depth + 1, item[i]))
                continue
        else:
            line = f"{path}: {_scalar(item)}" if path else _scalar(item)
        budget.spend(len(line) + 1)
        lines.append(line)


def _render_records(records: list[Any], budget: TextBudget) -> str:
    """Records (JSON Lines, or a top-level array of objects) one block each, blank lines between."""
    lines: list[str] = []
    for record in records:
        if lines:
            lines.append("")
        _render_value(record, budget, lines, sections=False)
    return "\n".join(lines)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ExtractionError("the JSON is nested too deeply to read") from exc


def extract_json_lines(text: str, budget: TextBudget) -> str:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                records.append(_loads(line))
            except ValueError as exc:  # JSONDecodeError, and ints past Python's digit limit
                raise ExtractionError(f"invalid JSON on line {number}: {exc}") from exc
    return _render_records(records, budget)


def extract_json(text: str, budget: TextBudget) -> tuple[str, bool]:
    """Render a JSON document; returns the text and whether it turned out to be JSON Lines."""
    try:
        value = _loads(text)
    except json.JSONDecodeError as exc:
        # Files named .json often hold one object per line; read them as JSON Lines if every line parses.
        if exc.msg == "Extra data":
            try:
                return extract_json_lines(text, budget), True
            except ExtractionError:
                pass
        raise ExtractionError(f"invalid JSON: {exc}") from exc
    except ValueError as exc:
        raise ExtractionError(f"invalid JSON: {exc}") from exc
    if isinstance(value, list) and value and all(isinstance(item, dict | list) for item in value):
        return _render_records(value, budget), False
    lines: list[str] = []
    _render_value(value, budget, lines)
    return "\n".join(lines), False


def _sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits the first rows into the most consistent number (>1) of columns.

    Not csv.Sniffer: its quote-guessing regex is quadratic (seconds on a hostile 16 kB sample), and it
    is easily fooled by commas inside the cells of a semicolon-separated file.
    """
    sample = text[:_SNIFF_SAMPLE_CHARS]
    if len(text) > _SNIFF_SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole rows only
    best, best_score = ",", (0.0, 0)
    for delimiter in _SNIFF_DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            widths = [len(row) for row in itertools.islice(reader, _SNIFF_ROWS) if row]
        except csv.Error:
            continue
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = (widths.count(common) / len(widths), common)
        if common > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def extract_csv(text: str, budget: TextBudget, delimiter: str | None = None) -> tuple[str, dict[str, Any]]:
    """Each data row as ``column: value; column: value`` (empty cells left out), headed by the first row.

    The first non-empty row is always taken as the header: csv.Sniffer.has_header guesses wrong on
    all-text tables, and a header row read as data costs less than data read as a header.
    """
    delimiter = delimiter or _sniff_delimiter(text)
    header: list[str] | None = None
    lines: list[str] = []
    rows = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells = [" ".join(cell.split()) for cell in row]  # one row, one line
            if not any(cells):
                continue
            if header is None:
                header = [cell or f"column_{i + 1}" for i, cell in enumerate(cells)]
                continue
            names = header + [f"column_{i + 1}" for i in range(len(header), len(cells))]
            line = "; ".join(f"{name}: {cell}" for name, cell in zip(names, cells, strict=False) if cell)
            budget.spend(len(line) + 1)
            lines.append(line)
            rows += 1
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
        raise ExtractionError(f"invalid CSV: {exc}") from exc
    if header is not None and not lines:
        lines.append("columns: " + ", ".join(header))  # a header-only file still says what it would hold
    metadata: dict[str, Any] = {"rows": rows, "delimiter": delimiter}
    if header is not None:
        metadata["columns"] = len(header)
    return "\n".join(lines), metadata
