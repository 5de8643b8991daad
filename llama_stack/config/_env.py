"""Environment substitution over every string of a parsed YAML tree.

``${env.X}`` is X's value (a problem when X is unset), ``${env.X:=default}`` is
X's value or ``default`` when X is unset or empty, ``${env.X:+value}`` is
``value`` when X is set and non-empty, else empty. References may sit inside
longer strings. Problems name the variables a bad value came from instead of
quoting it: the environment is where secrets live.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._problems import Loc, Problems
from ._secrets import is_secret_name

_REFERENCE = re.compile(r"\$\{env\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:=|:\+)(?P<arg>[^}]*))?\}")
# shorter values of secret-named variables are not masked everywhere: that would garble the messages
_MIN_MASKED = 4
_MALFORMED = re.compile(r"\$\{env\.[^}]*\}?")


def references_env(value: object) -> bool:
    """Whether ``value`` is a string holding at least one ``${env.…}`` reference."""
    return isinstance(value, str) and _REFERENCE.search(value) is not None


def substitute_env(tree: Any, env: Mapping[str, str], problems: Problems, loc: Loc = ()) -> Any:
    """A copy of ``tree`` with every reference in its strings replaced.

    Unset variables without a default become problems; their string is kept
    as written and its path muted, so validation does not report it twice.
    """
    if isinstance(tree, dict):
        return {key: substitute_env(value, env, problems, (*loc, str(key))) for key, value in tree.items()}
    if isinstance(tree, list):
        return [substitute_env(value, env, problems, (*loc, index)) for index, value in enumerate(tree)]
    if isinstance(tree, str) and "${" in tree:
        return _substitute_string(tree, env, problems, loc)
    return tree


def _substitute_string(text: str, env: Mapping[str, str], problems: Problems, loc: Loc) -> str:
    unset: list[str] = []
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = env.get(name)
        names.append(name)
        if value and len(value) >= _MIN_MASKED and is_secret_name(name):
            problems.secrets.add(value)
        if op == ":=":
            return value if value else arg
        if op == ":+":
            return arg if value else ""
        if value is None:
            unset.append(name)
            return match[0]
        return value

    result = _REFERENCE.sub(replace, text)
    for name in unset:
        problems.add(
            loc,
            f"environment variable {name!r} is not set",
            f"it set (or pass --env {name}=...), or a default: ${{env.{name}:=default}}",
        )
    leftover = _MALFORMED.search(_REFERENCE.sub("", text))
    if leftover:
        problems.add(
            loc,
            "malformed environment reference",
            "${env.NAME}, ${env.NAME:=default} or ${env.NAME:+value}",
        )
    if unset or leftover:
        problems.mute(loc)
        return text
    if names:
        problems.env_sources[loc] = names
    return result


def is_disabled(written: Any, item: Any, loc: Loc) -> bool:
    """Whether an entry's ``provider_id`` was env references that resolved empty: it is switched off."""
    return (
        isinstance(item, Mapping)
        and item.get("provider_id") == ""
        and references_env(value_at(written, (*loc, "provider_id")))
    )


def value_at(tree: Any, loc: Loc) -> Any:
    """The value at ``loc`` in a plain data tree, or ``None``."""
    for part in loc:
        if isinstance(part, int) and isinstance(tree, list) and 0 <= part < len(tree):
            tree = tree[part]
        elif isinstance(part, str) and isinstance(tree, Mapping):
            tree = tree.get(part)
        else:
            return None
    return tree
