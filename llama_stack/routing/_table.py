"""What every registry-backed framework API shares: choosing a provider, checking, syncing at startup."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from llama_stack_api import (
    ConflictError,
    InvalidRequestError,
    LlamaStackError,
    Resource,
    ResourceSource,
    ResourceType,
)

from ._registry import ResourceRegistry

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=Resource)

# (provider, resource) -> the resource as the provider accepts it; raises to refuse it
Checker = Callable[[Any, Any], Awaitable[Any]]


class ResourceTable(Generic[R]):
    """The registry of one resource type over the providers of the API that serves it.

    Subclasses give the typed public methods (``register_shield`` ...); the
    rules live here once: which provider a registration goes to, the provider's
    check before anything is stored, and how the distribution's declarations
    replace the previous run's at startup.
    """

    def __init__(
        self,
        registry: ResourceRegistry,
        resource_type: ResourceType,
        providers: dict[str, Any],
        *,
        api_name: str,
        register_hint: str,
        checker: Checker | None = None,
    ) -> None:
        self._registry = registry
        self._type = resource_type
        self._providers = providers
        self._api_name = api_name
        self.register_hint = register_hint
        self._checker = checker

    def _all(self) -> list[Resource]:
        return self._registry.list_of(self._type)

    def _get(self, identifier: str) -> Resource:
        return self._registry.get(self._type, identifier, hint=self.register_hint)

    def _choose_provider(self, provider_id: str | None) -> str:
        return choose_provider(self._providers, provider_id, self._api_name)

    def _check_not_taken(self, resource: Resource) -> None:
        existing = self._registry.find(self._type, resource.identifier)
        if existing is not None and existing.identifier != resource.identifier:
            raise ConflictError(
                f"{resource.identifier!r} is already an alias of {self._type.value} {existing.identifier!r}"
            )
        if existing is not None and existing.provider_id != resource.provider_id:
            raise ConflictError(
                f"{self._type.value} {resource.identifier!r} is already registered with provider "
                f"{existing.provider_id!r}; unregister it first or choose another id"
            )

    async def _checked(self, resource: R) -> R:
        """The resource after its provider's check (which may enrich it, or raise to refuse it)."""
        if self._checker is None:
            return resource
        checked: R = await self._checker(self._providers[resource.provider_id], resource)
        return checked

    async def _register(self, resource: R) -> R:
        self._check_not_taken(resource)
        resource = await self._checked(resource)
        await self._registry.put(resource)
        return resource

    async def _sync_declared(
        self, declared: Iterable[R], *, before_put: Callable[[R], None] | None = None
    ) -> None:
        """Make the registry match the distribution's declarations.

        Entries from an earlier run's distribution or discovery are dropped (the
        file may have changed), as are entries whose provider no longer runs;
        user registrations on running providers are kept.
        """
        stale = [
            r
            for r in self._all()
            if r.source in (ResourceSource.distribution, ResourceSource.provider)
            or r.provider_id not in self._providers
        ]
        await self._registry.delete_many(stale)
        for kept in self._all():
            # providers learn the user registrations they serve again (e.g. a shield's params)
            try:
                await self._checked(kept)  # type: ignore[arg-type]
            except InvalidRequestError as exc:
                logger.warning(
                    "dropping %s %r: its provider refuses it now: %s", self._type.value, kept.identifier, exc
                )
                await self._registry.delete(self._type, kept.identifier)
            except LlamaStackError as exc:  # an engine that is down now: keep the registration
                logger.warning("could not re-check %s %r: %s", self._type.value, kept.identifier, exc)
        for resource in declared:
            if resource.provider_id not in self._providers:
                raise InvalidRequestError(
                    f"{self._type.value} {resource.identifier!r} names provider {resource.provider_id!r}, "
                    "which is not running"
                )
            if before_put is not None:
                before_put(resource)
            await self._registry.put(await self._checked(resource))


def choose_provider(providers: dict[str, Any], provider_id: str | None, api_name: str) -> str:
    """The provider a new resource goes to: the one named, or the only one running."""
    running = sorted(providers)
    if provider_id is None:
        if len(running) == 1:
            return running[0]
        raise InvalidRequestError(
            f"provider_id is required when several {api_name} providers run; choose one of: "
            f"{', '.join(running) or 'none'}",
            param="provider_id",
        )
    if provider_id not in providers:
        raise InvalidRequestError(
            f"provider {provider_id!r} does not serve {api_name} in this stack; "
            f"{api_name} providers: {', '.join(running) or 'none'}",
            param="provider_id",
        )
    return provider_id
