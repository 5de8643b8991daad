"""Models API: the registry of models that inference requests are routed by."""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from ._routes import webmethod
from .apis import Api, ApiSpec
from .resources import Guardrails, Model, ModelBackend, ModelType, RoutingStrategy


class ListModelsResponse(BaseModel):
    """``{"object": "list", "data": [...]}``: the shape both OpenAI and llama-stack-client read."""

    object: Literal["list"] = "list"
    data: list[Model]


@runtime_checkable
class Models(Protocol):
    """Register, list, look up and remove models."""

    @webmethod("GET", "/v1/models", openai=True, summary="List registered models.")
    async def list_models(self) -> ListModelsResponse: ...

    @webmethod("GET", "/v1/models/{model_id:path}", openai=True, summary="Get a model by id or alias.")
    async def get_model(self, model_id: str) -> Model:
        """Raises ``NotFoundError`` (404) naming the registered ids when unknown."""
        ...

    @webmethod("POST", "/v1/models", summary="Register a model with a provider.")
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
        """Register a model; ``backends`` add more providers serving it (replicas or fallbacks).

        ``guardrails`` names shields that check every generation through it.
        Raises ``InvalidRequestError`` when ``provider_id`` is missing and ambiguous, a
        provider id is unknown, or a guardrail names an unregistered shield; ``ConflictError`` when the id or an alias is taken by
        another model.
        """
        ...

    @webmethod("DELETE", "/v1/models/{model_id:path}", summary="Unregister a model.")
    async def unregister_model(self, model_id: str) -> None:
        """Raises ``NotFoundError`` when no such model is registered."""
        ...


@runtime_checkable
class ModelsProvider(Protocol):
    """What an inference provider implements so the registry can discover and check its models."""

    async def list_provider_models(self) -> list[Model] | None:
        """Models the provider serves right now (``None``: it cannot tell)."""
        ...

    async def check_model(self, model: Model) -> Model:
        """Validate (and possibly enrich) a model about to be registered; raise to refuse it."""
        ...


API_SPEC = ApiSpec(api=Api.models, protocol=Models, framework=True, description="Model registry")
