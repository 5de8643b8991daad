"""Resources: the named things (models, shields, ...) that the registry maps to providers."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ResourceType(StrEnum):
    model = "model"
    shield = "shield"
    vector_store = "vector_store"
    dataset = "dataset"
    scoring_function = "scoring_function"
    benchmark = "benchmark"
    tool_group = "tool_group"


class ResourceSource(StrEnum):
    """Where a registration came from; provider-discovered ones are refreshed at startup."""

    distribution = "distribution"
    provider = "provider"
    user = "user"


class Resource(BaseModel):
    """A public id bound to the provider that serves it, and that provider's own id for it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    identifier: str = Field(description="The public id clients use.")
    provider_id: str = Field(description="The provider instance (its `provider_id`) that serves it.")
    provider_resource_id: str | None = Field(
        default=None, description="The provider's own name for it; defaults to `identifier`."
    )
    type: str
    source: ResourceSource = ResourceSource.user
    owner: str | None = Field(default=None, description="Principal that registered it, when auth is on.")

    @property
    def provider_key(self) -> str:
        return self.provider_resource_id or self.identifier


class ModelType(StrEnum):
    llm = "llm"
    embedding = "embedding"


RoutingStrategy = Literal["fallback", "round_robin", "least_busy"]


class ModelBackend(BaseModel):
    """Another provider serving the same model (a replica, or a hosted fallback)."""

    model_config = ConfigDict(extra="forbid")

    provider_id: str
    provider_model_id: str | None = Field(
        default=None, description="Defaults to the primary provider's id for the model (replicas share it)."
    )


class Guardrails(BaseModel):
    """Shields that check every generation through a model: its input before, its output after.

    Input shields run before inference (a blocked request never reaches the
    model); output shields judge the answer, and a stream is released to the
    client in windows of about ``stream_window_chars`` characters, each only
    after the text so far has passed. Shields of one side run concurrently.
    """

    model_config = ConfigDict(extra="forbid")

    input_shields: list[str] = Field(default_factory=list, description="Shield ids run on the request.")
    output_shields: list[str] = Field(default_factory=list, description="Shield ids run on the answer.")
    stream_window_chars: int = Field(
        default=200, gt=0, description="How much streamed text is held back before each output check."
    )

    @property
    def shield_ids(self) -> list[str]:
        return [*self.input_shields, *(s for s in self.output_shields if s not in self.input_shields)]


class Model(Resource):
    """A model: served by an inference provider. Also valid as an OpenAI ``Model`` object.

    With ``guardrails``, every chat completion and completion through it is
    checked by the named shields (see ``Guardrails``).

    With ``backends``, the model is served by several providers: the gateway
    picks one per request by ``routing_strategy`` (``fallback``: in order;
    ``round_robin``; ``least_busy``: fewest requests in flight), retries
    another on 429/5xx/connection errors, and cools down failing ones.
    """

    type: Literal["model"] = "model"
    model_type: ModelType = ModelType.llm
    metadata: dict[str, Any] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list, description="Other ids that resolve to this model.")
    backends: list[ModelBackend] = Field(default_factory=list, description="Further providers serving it.")
    routing_strategy: RoutingStrategy = "fallback"
    guardrails: Guardrails | None = Field(default=None, description="Shields applied to every generation.")
    # OpenAI `Model` fields, so `GET /v1/models` serves both client generations
    id: str = ""
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = ""

    def model_post_init(self, __context: Any) -> None:
        if not self.id:
            self.id = self.identifier
        if not self.owned_by:
            self.owned_by = self.provider_id


class Shield(Resource):
    type: Literal["shield"] = "shield"
    params: dict[str, Any] | None = None


class VectorStore(Resource):
    type: Literal["vector_store"] = "vector_store"
    embedding_model: str
    embedding_dimension: int
    vector_db_name: str | None = None


class Dataset(Resource):
    type: Literal["dataset"] = "dataset"
    purpose: str = "eval/messages-answer"
    data_source: dict[str, Any] = Field(default_factory=dict, description="`{type: uri|rows, ...}`")
    metadata: dict[str, Any] = Field(default_factory=dict)


class ScoringFn(Resource):
    type: Literal["scoring_function"] = "scoring_function"
    description: str | None = None
    return_type: dict[str, Any] = Field(default_factory=lambda: {"type": "number"})
    params: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Benchmark(Resource):
    type: Literal["benchmark"] = "benchmark"
    dataset_id: str
    scoring_functions: list[str]
    metadata: dict[str, Any] = Field(default_factory=dict)


class ToolGroup(Resource):
    type: Literal["tool_group"] = "tool_group"
    mcp_endpoint: dict[str, Any] | None = None
    args: dict[str, Any] | None = None


RESOURCE_CLASSES: dict[ResourceType, type[Resource]] = {
    ResourceType.model: Model,
    ResourceType.shield: Shield,
    ResourceType.vector_store: VectorStore,
    ResourceType.dataset: Dataset,
    ResourceType.scoring_function: ScoringFn,
    ResourceType.benchmark: Benchmark,
    ResourceType.tool_group: ToolGroup,
}
