"""The distribution YAML as pydantic models; every model forbids unknown fields so typos surface."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from llama_stack.storage import KVStoreConfig, ResolvedStorageConfig, SqlStoreConfig, StorageConfig
from llama_stack_api import Api, ProviderSpec

from ._resources import (
    BenchmarkEntry,
    DatasetEntry,
    ModelEntry,
    ScoringFnEntry,
    ShieldEntry,
    ToolGroupEntry,
    VectorStoreEntry,
)

DEFAULT_PORT = 8321
DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ProviderEntry(_Strict):
    """One provider instance under ``providers: {api: [...]}``.

    As written, ``config`` is the mapping from the YAML. In a config returned by
    ``load_stack_config`` it is an instance of the spec's config class, and
    ``spec`` is the ``ProviderSpec`` of ``provider_type``.
    """

    provider_id: str = Field(min_length=1)
    provider_type: str = Field(min_length=1)
    config: Any = Field(default_factory=dict)
    _spec: ProviderSpec | None = PrivateAttr(default=None)

    @field_validator("config", mode="before")
    @classmethod
    def _no_config_is_empty(cls, value: Any) -> Any:
        # `config:` with nothing after it reads as null: the same as no settings
        return {} if value is None else value

    @property
    def spec(self) -> ProviderSpec:
        if self._spec is None:
            raise RuntimeError(
                f"provider {self.provider_id!r} has no spec yet; "
                "load the config with load_stack_config or parse_stack_config"
            )
        return self._spec

    def bind(self, spec: ProviderSpec, config: BaseModel) -> ProviderEntry:
        """A copy carrying its spec and validated config object."""
        entry = self.model_copy(update={"config": config})
        entry._spec = spec
        return entry


class ApiKey(_Strict):
    """A bearer token and the principal it authenticates as."""

    key: SecretStr = Field(min_length=1)
    principal: str = Field(min_length=1)
    attributes: dict[str, Any] = Field(default_factory=dict)


class AuthConfig(_Strict):
    api_keys: list[ApiKey] = Field(default_factory=list)


class TLSConfig(_Strict):
    certfile: Path
    keyfile: Path


class LimitsConfig(_Strict):
    max_request_body_bytes: int = Field(default=DEFAULT_MAX_REQUEST_BODY_BYTES, gt=0)
    # file uploads stream to disk, so they may be far larger than a JSON body
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0)
    request_timeout_s: float | None = Field(default=None, gt=0)


class ServerConfig(_Strict):
    """The ``server:`` section. Port 0 asks the OS for a free port."""

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    auth: AuthConfig | None = None
    tls: TLSConfig | None = None
    limits: LimitsConfig = Field(default_factory=LimitsConfig)


class RoutingPolicyConfig(_Strict):
    """The ``routing:`` section: how the gateway retries and cools down backends of a model.

    A request is tried at most ``max_attempts`` times in all (across the
    model's backends, in the order its ``routing_strategy`` gives), waiting
    ``backoff_initial_s`` doubled per attempt up to ``backoff_max_s`` before a
    retry. Only 429 and 5xx-class failures (rate limits, provider errors,
    unreachable or timed-out engines) are retried, and never once a stream has
    sent its first event. A backend failing ``failure_threshold`` times in a
    row is skipped for ``cooldown_s`` (unless every backend is cooling down).
    ``health_check_interval_s`` > 0 also probes every provider's ``health()``
    in the background and cools down those that report an error.
    """

    max_attempts: int = Field(default=3, ge=1, le=20)
    backoff_initial_s: float = Field(default=0.05, ge=0)
    backoff_max_s: float = Field(default=2.0, ge=0)
    failure_threshold: int = Field(default=2, ge=1)
    cooldown_s: float = Field(default=30.0, ge=0)
    health_check_interval_s: float = Field(default=0.0, ge=0)
    retry_timeouts: bool = True


class StackConfig(_Strict):
    """A whole distribution: which APIs it serves, by which providers, with what resources."""

    version: Literal[2] = 2
    name: str
    apis: list[Api]
    providers: dict[Api, list[ProviderEntry]] = Field(default_factory=dict)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    models: list[ModelEntry] = Field(default_factory=list)
    shields: list[ShieldEntry] = Field(default_factory=list)
    vector_stores: list[VectorStoreEntry] = Field(
        default_factory=list, validation_alias=AliasChoices("vector_stores", "vector_dbs")
    )
    datasets: list[DatasetEntry] = Field(default_factory=list)
    scoring_fns: list[ScoringFnEntry] = Field(default_factory=list)
    benchmarks: list[BenchmarkEntry] = Field(default_factory=list)
    tool_groups: list[ToolGroupEntry] = Field(default_factory=list)
    server: ServerConfig = Field(default_factory=ServerConfig)
    routing: RoutingPolicyConfig = Field(default_factory=RoutingPolicyConfig)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _PLAIN_NAME.match(value):
            raise ValueError(
                f"distribution name {value!r} must be a plain name (letters, digits, '.', '_', '-'): "
                "it names the folder holding the distribution's state"
            )
        return value

    def provider_entries(self) -> list[tuple[Api, ProviderEntry]]:
        """Every provider instance with its API, in file order."""
        return [(api, entry) for api, entries in self.providers.items() for entry in entries]

    def resolved_storage(self) -> ResolvedStorageConfig:
        """The storage with defaults filled in: SQLite under ``~/.llama/<name>/`` for what is unset."""
        return self.storage.for_distribution(self.name)

    def storage_kvstore(self) -> KVStoreConfig:
        return self.resolved_storage().kvstore

    def storage_sqlstore(self) -> SqlStoreConfig:
        return self.resolved_storage().sqlstore
