"""The Models API as the framework serves it: a registry table over the inference providers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from llama_stack_api import (
    ConflictError,
    Guardrails,
    InvalidRequestError,
    Model,
    ModelBackend,
    ModelType,
    NotFoundError,
    ResourceSource,
    ResourceType,
    RoutingStrategy,
    current_principal,
)
from llama_stack_api.models import ListModelsResponse, ModelsProvider

from ._registry import ResourceRegistry
from ._table import ResourceTable

logger = logging.getLogger(__name__)

REGISTER_HINT = "register it with POST /v1/models or in the distribution's `models:`"


class ModelsTable(ResourceTable[Model]):
    """Implements ``Models``: register / list / get / unregister, plus startup discovery."""

    def __init__(self, registry: ResourceRegistry, providers: dict[str, Any]) -> None:
        super().__init__(
            registry,
            ResourceType.model,
            providers,
            api_name="inference",
            register_hint=REGISTER_HINT,
            checker=_check_model,
        )

    async def list_models(self) -> ListModelsResponse:
        return ListModelsResponse(data=[_as_model(m) for m in self._registry.list_of(ResourceType.model)])

    async def get_model(self, model_id: str) -> Model:
        return _as_model(self._registry.get(ResourceType.model, model_id, hint=REGISTER_HINT))

    async def register_model(
        self,
        model_id: str,
        provider_model_id: str | None = None,
        provider_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        model_type: ModelType | None = None,
        aliases: list[str] | None = None,
        backends: list[ModelBackend] | None = None,
        routing_strategy: RoutingStrategy | None = None,
        guardrails: Guardrails | None = None,
    ) -> Model:
        provider_id = self._choose_provider(provider_id)
        if guardrails is not None:
            self._check_guardrails(guardrails)
        for index, backend in enumerate(backends or []):
            if backend.provider_id not in self._providers:
                raise InvalidRequestError(
                    f"backends[{index}]: provider {backend.provider_id!r} does not serve inference in this stack; "
                    f"inference providers: {', '.join(sorted(self._providers)) or 'none'}",
                    param=f"backends[{index}].provider_id",
                )
        principal = current_principal()
        model = Model(
            identifier=model_id,
            provider_id=provider_id,
            provider_resource_id=provider_model_id or model_id,
            metadata=metadata or {},
            model_type=model_type or ModelType.llm,
            aliases=aliases or [],
            backends=backends or [],
            routing_strategy=routing_strategy or "fallback",
            guardrails=guardrails,
            source=ResourceSource.user,
            owner=principal.name if principal else None,
        )
        self._check_not_taken(model)
        self._check_aliases(model)
        return await self._register(model)

    async def unregister_model(self, model_id: str) -> None:
        model = self._registry.get(ResourceType.model, model_id, hint=REGISTER_HINT)
        await self._registry.delete(ResourceType.model, model.identifier)

    async def sync_at_startup(self, declared: Iterable[Model]) -> None:
        """Make the registry match the distribution's `models:` and what providers report now.

        User registrations are kept; entries from an earlier run's YAML or
        discovery that are gone now are removed, so a restart never serves stale
        models.
        """
        declared = list(declared)
        for model in declared:
            for provider_id in [model.provider_id, *(b.provider_id for b in model.backends)]:
                if provider_id not in self._providers:
                    raise InvalidRequestError(
                        f"model {model.identifier!r} names provider {provider_id!r}, which is not running"
                    )
        await self._sync_declared(declared, before_put=self._check_aliases)
        for provider_id, provider in self._providers.items():
            if not isinstance(provider, ModelsProvider):
                continue
            discovered = await provider.list_provider_models()
            for found in discovered or []:
                await self._adopt(provider_id, found)

    async def _adopt(self, provider_id: str, found: Model) -> None:
        provider_key = found.provider_resource_id or found.identifier
        taken = self._registry.find(ResourceType.model, found.identifier)
        identifier = found.identifier
        if taken is not None:
            if taken.provider_id == provider_id:
                return  # declared in the YAML already
            identifier = f"{provider_id}/{found.identifier}"
            if self._registry.find(ResourceType.model, identifier) is not None:
                return
        model = found.model_copy(
            update={
                "identifier": identifier,
                "id": identifier,
                "provider_id": provider_id,
                "owned_by": provider_id,
                "provider_resource_id": provider_key,
                "source": ResourceSource.provider,
            }
        )
        await self._registry.put(model)

    def _check_aliases(self, model: Model) -> None:
        for alias in model.aliases:
            holder = self._registry.find(ResourceType.model, alias)
            if holder is not None and holder.identifier != model.identifier:
                raise ConflictError(
                    f"alias {alias!r} of model {model.identifier!r} is taken by {holder.identifier!r}"
                )

    def _check_guardrails(self, guardrails: Guardrails) -> None:
        for side in ("input_shields", "output_shields"):
            for index, shield_id in enumerate(getattr(guardrails, side)):
                if self._registry.find(ResourceType.shield, shield_id) is None:
                    known = ", ".join(self._registry.ids(ResourceType.shield)) or "none"
                    raise InvalidRequestError(
                        f"guardrails.{side}[{index}]: shield {shield_id!r} is not registered; "
                        f"registered shields: {known}",
                        param=f"guardrails.{side}",
                    )


async def _check_model(provider: Any, model: Model) -> Model:
    if isinstance(provider, ModelsProvider):
        return await provider.check_model(model)
    return model


def _as_model(resource: object) -> Model:
    if not isinstance(resource, Model):  # the registry stores typed resources; anything else is a bug
        raise NotFoundError(f"registry entry {resource!r} is not a model")
    return resource
