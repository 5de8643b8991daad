"""OpenAI list pagination (``limit``, ``order``, ``after``, ``before``) over records sorted in memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from llama_stack_api import InvalidRequestError

T = TypeVar("T")
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool

    @property
    def first_id(self) -> str | None:
        return getattr(self.data[0], "id", None) if self.data else None

    @property
    def last_id(self) -> str | None:
        return getattr(self.data[-1], "id", None) if self.data else None


def paginate(
    items: Sequence[T],
    *,
    key: Callable[[T], tuple[int, str]],
    limit: int | None,
    order: Literal["asc", "desc"] | None,
    after: str | None,
    before: str | None,
    max_limit: int = MAX_LIMIT,
) -> Page[T]:
    """One page of ``items`` (records with an ``id``), ordered by ``key`` (created_at, id)."""
    limit = 20 if limit is None else limit
    if not 1 <= limit <= max_limit:
        raise InvalidRequestError(f"limit must be between 1 and {max_limit}", param="limit")
    ordered = sorted(items, key=key, reverse=(order or "desc") == "desc")
    ids = [getattr(item, "id", None) for item in ordered]
    if after is not None:
        if after not in ids:
            raise InvalidRequestError(f"`after`: {after!r} is not in this listing", param="after")
        ordered = ordered[ids.index(after) + 1 :]
        ids = ids[ids.index(after) + 1 :]
    if before is not None:
        if before not in ids:
            raise InvalidRequestError(f"`before`: {before!r} is not in this listing", param="before")
        ordered = ordered[: ids.index(before)]
    return Page(list(ordered[:limit]), len(ordered) > limit)
