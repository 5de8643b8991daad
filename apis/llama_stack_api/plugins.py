"""Provider specs and the plugin hooks through which every provider, built-in or not, is found.

A plugin is a module named by an entry point in the ``llama_stack`` group. It
implements one or more of the hooks below with ``@hookimpl``. The built-in
providers register through exactly this path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pluggy

from .apis import Api
from .resources import Resource, ResourceType

PROJECT_NAME = "llama_stack"
ENTRY_POINT_GROUP = "llama_stack"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

ProviderFactory = Callable[[Any, dict[Api, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class ProviderSpec:
    """What a plugin says about one provider it offers.

    ``config_class`` and ``factory`` are ``"module:attribute"`` strings so that
    listing providers imports nothing heavy; the resolver imports them only
    for providers a distribution enables. The factory is
    ``async def create(config, deps: dict[Api, Any]) -> implementation``, or
    ``async def create(config, deps, context: ProviderContext)`` for a
    provider that keeps state (it then learns its id, its folder and a
    key-value store).
    """

    api: Api
    provider_type: str
    config_class: str
    factory: str
    api_dependencies: tuple[Api, ...] = ()
    optional_api_dependencies: tuple[Api, ...] = ()
    pip_packages: tuple[str, ...] = ()
    description: str = ""
    deprecation_warning: str | None = None
    # the distribution (pip name) that registered this spec, filled in by discovery
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        kind, sep, name = self.provider_type.partition("::")
        if not sep or kind not in ("inline", "remote") or not name:
            raise ValueError(
                f"provider_type {self.provider_type!r} must look like 'inline::<name>' or 'remote::<name>'"
            )
        for attr in ("config_class", "factory"):
            value = getattr(self, attr)
            if ":" not in value:
                raise ValueError(f"{self.provider_type}: {attr} {value!r} must be 'module:attribute'")


class KeyValueStore(Protocol):
    """A string-to-string store on the distribution's storage backend (SQLite or PostgreSQL).

    Keys order by code point; ranges include both ends. The framework owns the
    connection: providers neither initialize nor close it.
    """

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]: ...

    async def keys_in_range(self, start_key: str, end_key: str) -> list[str]: ...

    async def values_in_range(self, start_key: str, end_key: str) -> list[str]: ...


class ResourceLookup(Protocol):
    """A read-only view of the stack's registered resources, for providers that check names their
    callers give (an agent's model and shields) before the work that needs them starts."""

    def find(self, resource_type: ResourceType, identifier: str) -> Resource | None:
        """The resource registered under ``identifier`` (or one of its aliases), else ``None``."""
        ...

    def ids(self, resource_type: ResourceType) -> list[str]:
        """The registered ids of that type, sorted."""
        ...


@dataclass(frozen=True)
class ProviderContext:
    """What the framework hands a stateful provider's factory.

    ``state_dir`` is this provider instance's own folder under the
    distribution's state folder (``~/.llama/<distribution>/providers/<id>``),
    created on first use; ``kvstore`` is its own namespace of the
    distribution's kv store, so its records live where the registry's do (and
    move to PostgreSQL with it); ``resources`` looks up registered models,
    shields, stores ... (``None`` outside a stack, e.g. in unit tests).
    """

    provider_id: str
    state_dir: Path
    kvstore: KeyValueStore
    resources: ResourceLookup | None = None


class LlamaStackHooks:
    """The hook specifications. Each hook's signature is its contract."""

    @hookspec
    def llama_stack_provider_specs(self) -> list[ProviderSpec]:  # type: ignore[empty-body]
        """Return the providers this plugin offers.

        Called once at discovery. Must not import heavy modules or do I/O:
        point ``config_class`` and ``factory`` at modules that do.
        """

    @hookspec
    def llama_stack_distribution_dirs(self) -> list[Path]:  # type: ignore[empty-body]
        """Return folders holding ``<name>.yaml`` distributions this plugin ships.

        ``llama-stack run <name>`` looks for ``<name>.yaml`` in these folders.
        """


@runtime_checkable
class ProviderLifecycle(Protocol):
    """Optional lifecycle methods the resolver calls when a provider has them."""

    async def initialize(self) -> None: ...

    async def shutdown(self) -> None: ...


@runtime_checkable
class StackReady(Protocol):
    """A provider with work that needs the whole stack: ``stack_ready()`` runs once every provider is
    initialized and the registry holds the distribution's models, shields and stores (for example,
    resuming an ingestion that embeds through a registered model)."""

    async def stack_ready(self) -> None: ...


@runtime_checkable
class HealthReporting(Protocol):
    """A provider that can say whether it works: ``{"status": "OK"|"Error", "message"?: str}``."""

    async def health(self) -> dict[str, Any]: ...
