"""OpenAI attribute filters (comparison and compound) evaluated against a file's attributes."""

from __future__ import annotations

from typing import Any

from llama_stack_api import InvalidRequestError
from llama_stack_api.vector_io import ComparisonFilter, CompoundFilter, SearchFilter


def matches(search_filter: SearchFilter | None, attributes: dict[str, Any]) -> bool:
    """Whether ``attributes`` pass the filter; a missing key fails every comparison except ``ne``/``nin``."""
    if search_filter is None:
        return True
    if isinstance(search_filter, CompoundFilter):
        results = (matches(f, attributes) for f in search_filter.filters)
        return all(results) if search_filter.type == "and" else any(results)
    return _compare(search_filter, attributes)


def _compare(f: ComparisonFilter, attributes: dict[str, Any]) -> bool:
    if f.key not in attributes:
        return f.type in ("ne", "nin")
    actual = attributes[f.key]
    if f.type in ("in", "nin"):
        if not isinstance(f.value, list):
            raise InvalidRequestError(f"filter {f.type!r} on {f.key!r} needs a list value", param="filters")
        found = actual in f.value
        return found if f.type == "in" else not found
    if isinstance(f.value, list):
        raise InvalidRequestError(f"filter {f.type!r} on {f.key!r} needs a single value", param="filters")
    if f.type == "eq":
        return bool(actual == f.value)
    if f.type == "ne":
        return bool(actual != f.value)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (actual, f.value))
    strings = isinstance(actual, str) and isinstance(f.value, str)
    if not (numbers or strings):
        return False  # ordering a number against a string (or booleans) is meaningless: no match
    try:
        if f.type == "gt":
            return bool(actual > f.value)
        if f.type == "gte":
            return bool(actual >= f.value)
        if f.type == "lt":
            return bool(actual < f.value)
        return bool(actual <= f.value)
    except TypeError:
        return False
