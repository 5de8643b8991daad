"""``InMemoryKVStore``: a dict behind the ``KVStore`` protocol, for tests and ephemeral stacks."""

from __future__ import annotations

import time
from datetime import datetime

from llama_stack.storage._time import as_utc


class InMemoryKVStore:
    """Process-local, lost on exit; behaves like the database backends in every other way."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}

    async def initialize(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _live(self) -> dict[str, str]:
        now = time.time()
        expired = [k for k, (_, expires) in self._data.items() if expires is not None and expires <= now]
        for key in expired:
            del self._data[key]
        return {key: value for key, (value, _) in self._data.items()}

    async def get(self, key: str) -> str | None:
        return self._live().get(key)

    async def set(self, key: str, value: str, expiration: datetime | None = None) -> None:
        self._data[key] = (value, as_utc(expiration).timestamp() if expiration is not None else None)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def values_in_range(self, start_key: str, end_key: str) -> list[str]:
        live = self._live()
        return [live[key] for key in sorted(live) if start_key <= key <= end_key]

    async def keys_in_range(self, start_key: str, end_key: str) -> list[str]:
        return [key for key in sorted(self._live()) if start_key <= key <= end_key]

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        live = self._live()
        return [(key, live[key]) for key in sorted(live) if key.startswith(prefix)]
