"""The Shields API as the framework serves it: a registry table over the safety providers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llama_stack_api import (
    ConflictError,
    Model,
    NotFoundError,
    ResourceSource,
    ResourceType,
    Shield,
    current_principal,
)
from llama_stack_api.safety import ShieldsProvider
from llama_stack_api.shields import ListShieldsResponse

from ._registry import ResourceRegistry
from ._table import ResourceTable

REGISTER_HINT = "register it with POST /v1/shields or in the distribution's `shields:`"


class ShieldsTable(ResourceTable[Shield]):
    """Implements ``Shields``: register / list / get / unregister."""

    def __init__(self, registry: ResourceRegistry, providers: dict[str, Any]) -> None:
        super().__init__(
            registry,
            ResourceType.shield,
            providers,
            api_name="safety",
            register_hint=REGISTER_HINT,
            checker=_check_shield,
        )

    async def list_shields(self) -> ListShieldsResponse:
        return ListShieldsResponse(data=[_as_shield(s) for s in self._all()])

    async def get_shield(self, identifier: str) -> Shield:
        return _as_shield(self._get(identifier))

    async def register_shield(
        self,
        shield_id: str,
        provider_shield_id: str | None = None,
        provider_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Shield:
        principal = current_principal()
        shield = Shield(
            identifier=shield_id,
            provider_id=self._choose_provider(provider_id),
            provider_resource_id=provider_shield_id or shield_id,
            params=params,
            source=ResourceSource.user,
            owner=principal.name if principal else None,
        )
        return await self._register(shield)

    async def unregister_shield(self, identifier: str) -> None:
        shield = self._get(identifier)
        users = [m.identifier for m in self._guarded_by(shield.identifier)]
        if users:
            raise ConflictError(
                f"shield {shield.identifier!r} guards model(s) {', '.join(users)}; "
                "change their guardrails before unregistering it"
            )
        await self._registry.delete(ResourceType.shield, shield.identifier)

    async def sync_at_startup(self, declared: Iterable[Shield]) -> None:
        """Make the registry match the distribution's `shields:` (user registrations are kept)."""
        await self._sync_declared(list(declared))

    def _guarded_by(self, shield_id: str) -> list[Model]:
        return [
            m
            for m in self._registry.list_of(ResourceType.model)
            if isinstance(m, Model) and m.guardrails is not None and shield_id in m.guardrails.shield_ids
        ]


async def _check_shield(provider: Any, shield: Shield) -> Shield:
    if isinstance(provider, ShieldsProvider):
        return await provider.check_shield(shield)
    return shield


def _as_shield(resource: object) -> Shield:
    if not isinstance(resource, Shield):  # the registry stores typed resources; anything else is a bug
        raise NotFoundError(f"registry entry {resource!r} is not a shield")
    return resource
