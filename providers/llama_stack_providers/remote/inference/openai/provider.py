"""``remote::openai``: the Inference API in front of any OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Any

from llama_stack_api import InvalidRequestError, Model, ModelType, NotFoundError, current_provider_data
from llama_stack_providers.utils.inference.http_errors import public_url
from llama_stack_providers.utils.inference.native_adapter import NativeOverOpenAIMixin
from llama_stack_providers.utils.inference.openai_compat import OpenAICompatInference

from .config import PROVIDER_DATA_API_KEY, OpenAIInferenceConfig

# OpenAI's embedding models and their vector sizes; /models does not say
KNOWN_EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIInference(NativeOverOpenAIMixin, OpenAICompatInference):
    """Passes OpenAI-shaped requests through; serves the native routes by converting to them.

    Models: ``config.models`` when given, else whatever ``GET /models`` lists
    (an endpoint without that route registers nothing by itself; declare models
    in the distribution then). When the endpoint is another Llama Stack, its
    listing says which models embed; otherwise ``embedding_models`` and ids
    containing "embed" do.
    """

    label = "remote::openai"

    def __init__(self, config: OpenAIInferenceConfig) -> None:
        super().__init__(base_url=config.base_url, config=config)
        self.config = config

    def credentials(self) -> tuple[dict[str, str], tuple[str, ...]]:
        key = _request_key() or (self.config.api_key.get_secret_value() if self.config.api_key else "")
        if not key:
            return {}, ()
        return {"Authorization": f"Bearer {key}"}, (key,)

    async def health(self) -> dict[str, Any]:
        return await self.probe("models")

    async def list_provider_models(self) -> list[Model] | None:
        if self.config.models is not None:
            return [self._model(model_id, {}) for model_id in self.config.models]
        entries = await self.fetch_model_entries()
        if entries is None:
            return None
        return [self._model(entry["id"], entry) for entry in entries]

    async def check_model(self, model: Model) -> Model:
        """Refuse ids the endpoint does not serve (when it can tell); fill in embedding dimensions."""
        key = model.provider_key
        if self.config.models is not None:
            if key not in self.config.models:
                raise InvalidRequestError(
                    f"{self.label} serves only the models in its config ({', '.join(self.config.models)}), "
                    f"not {key!r}; add it to the provider's `models`",
                    param="provider_model_id",
                )
        else:
            entries = await self.fetch_model_entries()
            if entries is not None and key not in {e["id"] for e in entries}:
                listed = ", ".join(sorted(e["id"] for e in entries)[:20]) or "none"
                raise NotFoundError(
                    f"{self.label} at {public_url(self.http.base_url)} does not serve model {key!r}; it lists: {listed}",
                    param="provider_model_id",
                    code="model_not_found",
                )
        dimension = KNOWN_EMBEDDING_DIMENSIONS.get(key)
        if (
            model.model_type == ModelType.embedding
            and dimension
            and "embedding_dimension" not in model.metadata
        ):
            return model.model_copy(update={"metadata": {**model.metadata, "embedding_dimension": dimension}})
        return model

    def _model(self, model_id: str, entry: dict[str, Any]) -> Model:
        metadata: dict[str, Any] = {}
        upstream_type = entry.get("model_type")  # another Llama Stack says what each model is
        if upstream_type in (ModelType.llm.value, ModelType.embedding.value):
            model_type = ModelType(upstream_type)
            if isinstance(entry.get("metadata"), dict):
                metadata.update(entry["metadata"])
        elif model_id in self.config.embedding_models or "embed" in model_id.lower():
            model_type = ModelType.embedding
        else:
            model_type = ModelType.llm
        if model_type == ModelType.embedding and model_id in KNOWN_EMBEDDING_DIMENSIONS:
            metadata.setdefault("embedding_dimension", KNOWN_EMBEDDING_DIMENSIONS[model_id])
        return Model(
            identifier=model_id,
            provider_id="openai",  # the registry sets the real provider id when it adopts the model
            provider_resource_id=model_id,
            model_type=model_type,
            metadata=metadata,
        )


def _request_key() -> str:
    key = current_provider_data().get(PROVIDER_DATA_API_KEY)
    return key if isinstance(key, str) else ""


async def create(config: OpenAIInferenceConfig, deps: dict[Any, Any]) -> OpenAIInference:
    return OpenAIInference(config)
