"""The resources a distribution registers at startup: ``models:``, ``shields:``, ``vector_stores:``, ..."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from llama_stack_api import (
    Api,
    Benchmark,
    Dataset,
    Guardrails,
    Model,
    ModelBackend,
    ModelType,
    Resource,
    ResourceSource,
    RoutingStrategy,
    ScoringFn,
    Shield,
    ToolGroup,
    VectorStore,
)


class ResourceEntry(BaseModel, ABC):
    """One resource entry; ``provider_id`` names a provider of ``provider_api``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # the API whose providers may serve this kind of resource, and the field holding its public id
    provider_api: ClassVar[Api]
    id_field: ClassVar[str]

    provider_id: str = Field(min_length=1)

    @property
    def resource_id(self) -> str:
        return str(getattr(self, self.id_field))

    @abstractmethod
    def to_resource(self) -> Resource:
        """The contract's resource for this entry, marked as coming from the distribution."""


class ModelEntry(ResourceEntry):
    provider_api: ClassVar[Api] = Api.inference
    id_field: ClassVar[str] = "model_id"

    model_id: str = Field(min_length=1)
    provider_model_id: str | None = None
    model_type: ModelType = ModelType.llm
    metadata: dict[str, Any] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    backends: list[ModelBackend] = Field(default_factory=list)
    routing_strategy: RoutingStrategy = "fallback"
    guardrails: Guardrails | None = None

    def to_resource(self) -> Model:
        return Model(
            identifier=self.model_id,
            provider_id=self.provider_id,
            provider_resource_id=self.provider_model_id or self.model_id,
            model_type=self.model_type,
            metadata=dict(self.metadata),
            aliases=list(self.aliases),
            backends=list(self.backends),
            routing_strategy=self.routing_strategy,
            guardrails=self.guardrails.model_copy(deep=True) if self.guardrails else None,
            source=ResourceSource.distribution,
        )


class ShieldEntry(ResourceEntry):
    provider_api: ClassVar[Api] = Api.safety
    id_field: ClassVar[str] = "shield_id"

    shield_id: str = Field(min_length=1)
    provider_shield_id: str | None = None
    params: dict[str, Any] | None = None

    def to_resource(self) -> Shield:
        return Shield(
            identifier=self.shield_id,
            provider_id=self.provider_id,
            provider_resource_id=self.provider_shield_id or self.shield_id,
            params=self.params,
            source=ResourceSource.distribution,
        )


class VectorStoreEntry(ResourceEntry):
    """Also read from the legacy ``vector_dbs:`` section, with ``vector_db_id`` and friends."""

    provider_api: ClassVar[Api] = Api.vector_io
    id_field: ClassVar[str] = "vector_store_id"

    vector_store_id: str = Field(
        min_length=1, validation_alias=AliasChoices("vector_store_id", "vector_db_id")
    )
    provider_vector_store_id: str | None = Field(
        default=None, validation_alias=AliasChoices("provider_vector_store_id", "provider_vector_db_id")
    )
    embedding_model: str = Field(min_length=1)
    embedding_dimension: int = Field(gt=0)
    vector_store_name: str | None = Field(
        default=None, validation_alias=AliasChoices("vector_store_name", "vector_db_name")
    )

    def to_resource(self) -> VectorStore:
        return VectorStore(
            identifier=self.vector_store_id,
            provider_id=self.provider_id,
            provider_resource_id=self.provider_vector_store_id or self.vector_store_id,
            embedding_model=self.embedding_model,
            embedding_dimension=self.embedding_dimension,
            vector_db_name=self.vector_store_name,
            source=ResourceSource.distribution,
        )


class DatasetEntry(ResourceEntry):
    provider_api: ClassVar[Api] = Api.datasetio
    id_field: ClassVar[str] = "dataset_id"

    dataset_id: str = Field(min_length=1)
    provider_dataset_id: str | None = None
    purpose: str = "eval/messages-answer"
    source: dict[str, Any] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("source", "data_source"),
        description="`{type: uri, uri: ...}` or `{type: rows, rows: [...]}`",
    )
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_resource(self) -> Dataset:
        return Dataset(
            identifier=self.dataset_id,
            provider_id=self.provider_id,
            provider_resource_id=self.provider_dataset_id or self.dataset_id,
            purpose=self.purpose,
            data_source=dict(self.source),
            metadata=dict(self.metadata),
            source=ResourceSource.distribution,
        )


class ScoringFnEntry(ResourceEntry):
    provider_api: ClassVar[Api] = Api.scoring
    id_field: ClassVar[str] = "scoring_fn_id"

    scoring_fn_id: str = Field(min_length=1)
    provider_scoring_fn_id: str | None = None
    description: str | None = None
    return_type: dict[str, Any] = Field(default_factory=lambda: {"type": "number"})
    params: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_resource(self) -> ScoringFn:
        return ScoringFn(
            identifier=self.scoring_fn_id,
            provider_id=self.provider_id,
            provider_resource_id=self.provider_scoring_fn_id or self.scoring_fn_id,
            description=self.description,
            return_type=dict(self.return_type),
            params=self.params,
            metadata=dict(self.metadata),
            source=ResourceSource.distribution,
        )


class BenchmarkEntry(ResourceEntry):
    provider_api: ClassVar[Api] = Api.eval
    id_field: ClassVar[str] = "benchmark_id"

    benchmark_id: str = Field(min_length=1)
    provider_benchmark_id: str | None = None
    dataset_id: str = Field(min_length=1)
    scoring_functions: list[str] = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_resource(self) -> Benchmark:
        return Benchmark(
            identifier=self.benchmark_id,
            provider_id=self.provider_id,
            provider_resource_id=self.provider_benchmark_id or self.benchmark_id,
            dataset_id=self.dataset_id,
            scoring_functions=list(self.scoring_functions),
            metadata=dict(self.metadata),
            source=ResourceSource.distribution,
        )


class ToolGroupEntry(ResourceEntry):
    provider_api: ClassVar[Api] = Api.tool_runtime
    id_field: ClassVar[str] = "toolgroup_id"

    toolgroup_id: str = Field(min_length=1, validation_alias=AliasChoices("toolgroup_id", "tool_group_id"))
    mcp_endpoint: dict[str, Any] | None = Field(default=None, description="`{uri: ...}` of an MCP server")
    args: dict[str, Any] | None = None

    def to_resource(self) -> ToolGroup:
        return ToolGroup(
            identifier=self.toolgroup_id,
            provider_id=self.provider_id,
            mcp_endpoint=self.mcp_endpoint,
            args=self.args,
            source=ResourceSource.distribution,
        )


# the resource sections of a distribution, in file order
RESOURCE_SECTIONS: dict[str, type[ResourceEntry]] = {
    "models": ModelEntry,
    "shields": ShieldEntry,
    "vector_stores": VectorStoreEntry,
    "datasets": DatasetEntry,
    "scoring_fns": ScoringFnEntry,
    "benchmarks": BenchmarkEntry,
    "tool_groups": ToolGroupEntry,
}
