"""Value types shared by the scanner and its rule modules (re-exported by scanner.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so `finding.severity >= Severity.medium` works."""

    info = 0
    low = 1
    medium = 2
    high = 3
    critical = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        """`Severity.parse("High")` → `Severity.high`; unknown names raise ValueError listing the valid ones."""
        try:
            return cls[name.strip().lower()]
        except KeyError:
            valid = ", ".join(member.name for member in cls)
            raise ValueError(f"unknown severity {name!r}; expected one of: {valid}") from None


@dataclass(frozen=True)
class Finding:
    """One problem found in a message: where, what, and how bad."""

    rule_id: str
    language: str
    line: int
    severity: Severity
    message: str
    cwe: str | None
    snippet: str


@dataclass(frozen=True)
class CodeBlock:
    """A piece of code cut out of a message, with the 1-based line where its first code line sits."""

    language: str | None
    code: str
    start_line: int


@dataclass(frozen=True)
class Rule:
    """A rule's identity and advice; the matching lives in the per-language modules."""

    id: str
    severity: Severity
    cwe: str | None
    message: str


@dataclass(frozen=True)
class Hit:
    """A rule firing on a 1-based line of the scanned code; severity may differ from the rule's default."""

    rule: Rule
    line: int
    severity: Severity
