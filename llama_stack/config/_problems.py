"""Config problems: collected one by one, reported together as one ``ConfigError``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from ._secrets import REDACTED

Loc = tuple[str | int, ...]


def format_path(loc: Sequence[str | int]) -> str:
    """``("providers", "inference", 0, "config")`` → ``providers.inference[0].config``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def closest(name: str, candidates: Iterable[str]) -> str:
    """The closest candidate to ``name`` for a 'did you mean', or ``""``."""
    found = difflib.get_close_matches(name, list(candidates), n=1)
    return found[0] if found else ""


def one_of(candidates: Iterable[str]) -> str:
    names = list(candidates)
    return f"one of: {', '.join(names)}" if names else "nothing (none are available)"


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file.

    ``expected`` is what follows "expected" in the message; ``suggestion`` is the
    name offered after "did you mean"; both may be empty.
    """

    file: str
    path: str
    problem: str
    expected: str = ""
    suggestion: str = ""

    def format(self) -> str:
        """``file: path.to.field: problem; expected ...; did you mean '...'?``, empty parts left out."""
        head = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        line = head + self.problem
        if self.expected:
            line += f"; expected {self.expected}"
        if self.suggestion:
            line += f"; did you mean {self.suggestion!r}?"
        return line


class ConfigError(Exception):
    """A config file has problems; ``problems`` holds every one found, in file order."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        """One line per problem."""
        return "\n".join(p.format() for p in self.problems)

    def __str__(self) -> str:
        return self.format()


@dataclass
class Problems:
    """Collects the problems of one file.

    Paths muted with ``mute`` (a value that could not be substituted) drop the
    problems that would only repeat the first one. ``env_sources`` maps each
    substituted value's path to the variables it came from, so problems name
    the variables instead of quoting their values; ``secrets`` (values of
    variables named like secrets) are masked in every message.
    """

    file: str
    found: list[tuple[Loc, ConfigProblem]] = field(default_factory=list)
    muted: set[Loc] = field(default_factory=set)
    env_sources: dict[Loc, list[str]] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    def add(self, loc: Loc, problem: str, expected: str = "", suggestion: str = "") -> None:
        loc = tuple(loc)
        if loc in self.muted:
            return
        problem, expected, suggestion = (self._mask(text) for text in (problem, expected, suggestion))
        self.found.append((loc, ConfigProblem(self.file, format_path(loc), problem, expected, suggestion)))

    def _mask(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def mute(self, loc: Loc) -> None:
        self.muted.add(tuple(loc))

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self, document: object = None) -> None:
        """Raise every problem as one ``ConfigError``, in the order of ``document`` when given."""
        if self.found:
            self.fail(document)

    def fail(self, document: object = None) -> NoReturn:
        found = self.found
        if document is not None:
            found = sorted(found, key=lambda item: document_position(document, item[0]))
        raise ConfigError([problem for _, problem in found])


def document_position(document: object, loc: Loc) -> tuple[int, ...]:
    """Where ``loc`` sits in a parsed file, for sorting; fields that are missing sort after their siblings."""
    position: list[int] = []
    node = document
    for part in loc:
        if isinstance(node, Mapping):
            keys = [str(key) for key in node]
            index = keys.index(part) if part in keys else len(keys)
            position.append(index)
            node = list(node.values())[index] if index < len(keys) else None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            position.append(part)
            node = node[part]
        else:
            position.append(_AFTER_ALL)
            node = None
    return tuple(position)


_AFTER_ALL = 1 << 30
