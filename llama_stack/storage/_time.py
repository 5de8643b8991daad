"""Datetime normalisation shared by every backend: naive means local time, storage is UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is read as local time, as ``datetime.timestamp`` does."""
    return moment.astimezone(UTC)


def to_iso(moment: datetime) -> str:
    """Fixed-width UTC ISO text, so string order is time order (SQLite stores datetimes as text)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def from_iso(text: str) -> datetime:
    """Parse ISO text back to an aware UTC datetime."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:  # written by something else: assume it followed our UTC convention
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
