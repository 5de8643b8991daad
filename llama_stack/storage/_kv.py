"""The ``KVStore`` protocol every backend implements, and namespaced views that let components share one."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

NAMESPACE_SEPARATOR = ":"


@runtime_checkable
class KVStore(Protocol):
    """An async string-to-string store; keys order by code point, as Python orders ``str``.

    A key set with an ``expiration`` is invisible to every read once that moment
    has passed (a naive datetime is local time). Ranges include both ends.
    Backend failures raise ``StorageError`` subclasses.
    """

    async def initialize(self) -> None:
        """Open connections and create the table if needed; safe to call twice.

        Raises ``StorageUnavailableError`` when the database cannot be reached.
        """
        ...

    async def close(self) -> None:
        """Release connections; safe to call twice."""
        ...

    async def get(self, key: str) -> str | None:
        """The value, or ``None`` when the key is absent or expired."""
        ...

    async def set(self, key: str, value: str, expiration: datetime | None = None) -> None:
        """Create or replace ``key``; with ``expiration`` it disappears at that moment."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine."""
        ...

    async def values_in_range(self, start_key: str, end_key: str) -> list[str]:
        """Values of keys ``start_key <= key <= end_key``, in key order."""
        ...

    async def keys_in_range(self, start_key: str, end_key: str) -> list[str]:
        """Keys ``start_key <= key <= end_key``, in order."""
        ...

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """``(key, value)`` pairs whose key starts with ``prefix``, in key order."""
        ...


def check_namespace(namespace: str) -> str:
    if not namespace or NAMESPACE_SEPARATOR in namespace:
        # "a" would otherwise see the keys of "a:b" through items_with_prefix
        raise ValueError(
            f"namespace {namespace!r} must be non-empty and contain no {NAMESPACE_SEPARATOR!r}; "
            "use a plain name such as 'agents'"
        )
    return namespace


class NamespacedKVStore:
    """A view of ``store`` where every key is silently prefixed with ``namespace:``.

    Views over one store never see each other's keys. ``initialize`` and
    ``close`` pass through to the shared store.
    """

    def __init__(self, store: KVStore, namespace: str) -> None:
        self.store = store
        self.namespace = check_namespace(namespace)
        self._prefix = namespace + NAMESPACE_SEPARATOR

    async def initialize(self) -> None:
        await self.store.initialize()

    async def close(self) -> None:
        await self.store.close()

    async def get(self, key: str) -> str | None:
        return await self.store.get(self._prefix + key)

    async def set(self, key: str, value: str, expiration: datetime | None = None) -> None:
        await self.store.set(self._prefix + key, value, expiration)

    async def delete(self, key: str) -> None:
        await self.store.delete(self._prefix + key)

    async def values_in_range(self, start_key: str, end_key: str) -> list[str]:
        # every key between prefix+start and prefix+end starts with prefix, so no filtering is needed
        return await self.store.values_in_range(self._prefix + start_key, self._prefix + end_key)

    async def keys_in_range(self, start_key: str, end_key: str) -> list[str]:
        keys = await self.store.keys_in_range(self._prefix + start_key, self._prefix + end_key)
        return [key[len(self._prefix) :] for key in keys]

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        items = await self.store.items_with_prefix(self._prefix + prefix)
        return [(key[len(self._prefix) :], value) for key, value in items]


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (``None``: no bound).

    ``prefix <= key < bound`` is an index range scan where ``LIKE`` would need escaping.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1])
        if code < 0x10FFFF:
            # skip the surrogate block: such a string could not be encoded to UTF-8 for the database
            chars[-1] = chr(0xE000 if 0xD800 <= code + 1 <= 0xDFFF else code + 1)
            return "".join(chars)
        chars.pop()
    return None


class ProviderKVStore(NamespacedKVStore):
    """A provider's namespace of the stack's store: the stack opens and closes the connection, not the provider."""

    async def initialize(self) -> None:
        return None

    async def close(self) -> None:
        return None
