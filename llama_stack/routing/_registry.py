"""The persisted resource registry: which provider serves each public id."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from llama_stack_api import NotFoundError, Resource, ResourceType
from llama_stack_api.resources import RESOURCE_CLASSES

from ..storage import KVStore

_PREFIX = "resource:"


class ResourceRegistry:
    """Resources by type and id, kept in a kv store and cached in memory.

    Every process reads the store at ``load()``; writes go to the store first
    and then to the cache, so a failed write leaves the cache untouched.
    """

    def __init__(self, store: KVStore) -> None:
        self._store = store
        self._cache: dict[ResourceType, dict[str, Resource]] = {t: {} for t in ResourceType}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        for t in ResourceType:
            self._cache[t] = {}
        for key, raw in await self._store.items_with_prefix(_PREFIX):
            _, type_name, _ = key.split(":", 2)
            resource_type = ResourceType(type_name)
            resource = RESOURCE_CLASSES[resource_type].model_validate_json(raw)
            self._cache[resource_type][resource.identifier] = resource

    def list_of(self, resource_type: ResourceType) -> list[Resource]:
        return sorted(self._cache[resource_type].values(), key=lambda r: r.identifier)

    def ids(self, resource_type: ResourceType) -> list[str]:
        return sorted(self._cache[resource_type])

    def find(self, resource_type: ResourceType, identifier: str) -> Resource | None:
        """Look up by id, then by alias (resources that declare ``aliases``)."""
        found = self._cache[resource_type].get(identifier)
        if found is not None:
            return found
        for resource in self._cache[resource_type].values():
            if identifier in getattr(resource, "aliases", ()):
                return resource
        return None

    def get(self, resource_type: ResourceType, identifier: str, *, hint: str = "") -> Resource:
        """Like ``find`` but raises ``NotFoundError`` naming the known ids."""
        found = self.find(resource_type, identifier)
        if found is None:
            known = ", ".join(self.ids(resource_type)) or "none"
            message = f"{resource_type.value} {identifier!r} is not registered; registered: {known}"
            if hint:
                message += f"; {hint}"
            raise NotFoundError(message, param=resource_type.value, code=f"{resource_type.value}_not_found")
        return found

    async def put(self, resource: Resource) -> None:
        resource_type = ResourceType(resource.type)
        async with self._lock:
            await self._store.set(_key(resource_type, resource.identifier), resource.model_dump_json())
            self._cache[resource_type][resource.identifier] = resource

    async def delete(self, resource_type: ResourceType, identifier: str) -> None:
        async with self._lock:
            await self._store.delete(_key(resource_type, identifier))
            self._cache[resource_type].pop(identifier, None)

    async def delete_many(self, resources: Iterable[Resource]) -> None:
        for resource in list(resources):
            await self.delete(ResourceType(resource.type), resource.identifier)


def _key(resource_type: ResourceType, identifier: str) -> str:
    return f"{_PREFIX}{resource_type.value}:{identifier}"
