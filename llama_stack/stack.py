"""The running stack: providers, routers and framework APIs built from a validated config."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import Api, Model, ProviderContext, ResourceType, api_spec, protocol_methods
from llama_stack_api.inspect import RouteInfo
from llama_stack_api.plugins import StackReady

from .config import StackConfig, redacted_config_dict
from .guardrails import guard_inference
from .introspection import ProviderDirectory, StackInspector, provider_health
from .resolver import ProviderInstance, ProviderRequest, Resolver
from .routing import Gateway, ModelsTable, ResourceRegistry, Router, ShieldsTable, build_router_class
from .routing._models import REGISTER_HINT as MODEL_REGISTER_HINT
from .routing._shields import REGISTER_HINT as SHIELD_REGISTER_HINT
from .routing._tool_groups import REGISTER_HINT as TOOL_GROUP_REGISTER_HINT
from .routing._tool_groups import ToolCatalog, ToolGroupsTable, ToolRuntimeRouterMixin
from .routing._vector_stores import REGISTER_HINT as VECTOR_STORE_REGISTER_HINT
from .routing._vector_stores import VectorDBsTable, VectorIORouterMixin
from .storage import KVStore, ProviderKVStore, distribution_dir, kvstore_from_config

logger = logging.getLogger(__name__)

# registry API -> the resource type its table holds and routers dispatch on
REGISTRY_RESOURCES: dict[Api, ResourceType] = {
    Api.models: ResourceType.model,
    Api.shields: ResourceType.shield,
    Api.vector_dbs: ResourceType.vector_store,
    Api.datasets: ResourceType.dataset,
    Api.scoring_functions: ResourceType.scoring_function,
    Api.benchmarks: ResourceType.benchmark,
    Api.tool_groups: ResourceType.tool_group,
}

# APIs with methods no single resource routes (creating and listing vector stores)
ROUTER_BASES: dict[Api, type[Router]] = {
    Api.vector_io: VectorIORouterMixin,
    Api.tool_runtime: ToolRuntimeRouterMixin,
}

REGISTER_HINTS: dict[ResourceType, str] = {
    ResourceType.model: MODEL_REGISTER_HINT,
    ResourceType.shield: SHIELD_REGISTER_HINT,
    ResourceType.vector_store: VECTOR_STORE_REGISTER_HINT,
    ResourceType.tool_group: TOOL_GROUP_REGISTER_HINT,
}


@dataclass
class Stack:
    """Everything a server or library client needs: the implementation behind each API."""

    config: StackConfig
    impls: dict[Api, Any] = field(default_factory=dict)
    instances: list[ProviderInstance] = field(default_factory=list)
    _resolver: Resolver | None = None
    _store: KVStore | None = None
    _health_task: asyncio.Task[None] | None = None

    @property
    def served_apis(self) -> list[Api]:
        return list(self.impls)

    def providers_of(self, api: Api) -> list[ProviderInstance]:
        return [i for i in self.instances if i.request.api == api]

    def route_infos(self) -> list[RouteInfo]:
        infos: list[RouteInfo] = []
        for api, _impl in self.impls.items():
            spec = api_spec(api)
            provider_types = sorted({i.request.spec.provider_type for i in self.providers_of(api)})
            for method in protocol_methods(spec.protocol):
                for route in method.routes:
                    for path in served_paths(route.path, route.openai):
                        infos.append(
                            RouteInfo(route=path, method=route.method, provider_types=provider_types)
                        )
        return infos

    async def shutdown(self) -> None:
        if self._health_task is not None:
            self._health_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._health_task
            self._health_task = None
        if self._resolver is not None:
            await self._resolver.shutdown()
        if self._store is not None:
            await self._store.close()
            self._store = None


OPENAI_LEGACY_PREFIX = "/v1/openai/v1"


def served_paths(path: str, openai: bool) -> list[str]:
    """Where a route is mounted: OpenAI routes also live under ``/v1/openai/v1``."""
    if openai:
        return [path, OPENAI_LEGACY_PREFIX + path.removeprefix("/v1")]
    return [path]


def provider_requests(config: StackConfig) -> list[ProviderRequest]:
    requests: list[ProviderRequest] = []
    for api, entries in config.providers.items():
        for index, entry in enumerate(entries):
            requests.append(
                ProviderRequest(
                    api=api, provider_id=entry.provider_id, spec=entry.spec, config=entry.config, index=index
                )
            )
    return requests


async def start_stack(config: StackConfig) -> Stack:
    """Build and initialize the whole stack; on any failure, what was built is shut down."""
    stack = Stack(config=config)
    store = await kvstore_from_config(config.storage_kvstore(), namespace="registry")
    stack._store = store
    try:
        registry = ResourceRegistry(store)
        await registry.load()
        routers: dict[Api, Any] = {}
        gateway = Gateway(config.routing)

        def dependency_view(api: Api, providers: list[ProviderInstance]) -> Any:
            if api not in routers:
                router = _router_or_single(api, providers, registry, gateway)
                # the safety router is looked up per request: it is built after inference
                routers[api] = guard_inference(api, router, registry, lambda: routers.get(Api.safety))
            return routers[api]

        resolver = Resolver(
            provider_requests(config), dependency_view, _context_factory(config, store, registry)
        )
        stack._resolver = resolver
        stack.instances = await resolver.build()

        for api in config.apis:
            spec = api_spec(api)
            if spec.framework:
                continue
            providers = stack.providers_of(api)
            if providers:
                stack.impls[api] = dependency_view(api, providers)

        safety_providers = {i.request.provider_id: i.impl for i in stack.providers_of(Api.safety)}
        shields = ShieldsTable(registry, safety_providers)
        # shields first: models' guardrails name them
        await shields.sync_at_startup(entry.to_resource() for entry in config.shields)
        inference_providers = {i.request.provider_id: i.impl for i in stack.providers_of(Api.inference)}
        models = ModelsTable(registry, inference_providers)
        await models.sync_at_startup(_declared_models(config))
        # vector stores last: their embedding models must be registered
        vector_io_providers = {i.request.provider_id: i.impl for i in stack.providers_of(Api.vector_io)}
        vector_dbs = VectorDBsTable(registry, vector_io_providers)
        await vector_dbs.sync_at_startup([entry.to_resource() for entry in config.vector_stores])
        tool_providers = {i.request.provider_id: i.impl for i in stack.providers_of(Api.tool_runtime)}
        catalog = ToolCatalog(registry, tool_providers)
        tool_groups = ToolGroupsTable(registry, tool_providers, catalog)
        await tool_groups.sync_at_startup([entry.to_resource() for entry in config.tool_groups])
        if isinstance(routers.get(Api.tool_runtime), ToolRuntimeRouterMixin):
            routers[Api.tool_runtime].catalog = catalog  # one cache of the groups' tools
        framework: dict[Api, Any] = {
            Api.models: models,
            Api.shields: shields,
            Api.vector_dbs: vector_dbs,
            Api.tool_groups: tool_groups,
            Api.inspect: StackInspector(stack.route_infos),
            Api.providers: ProviderDirectory(stack.instances, redacted_config_dict),
        }
        for api in config.apis:
            if api in framework:
                stack.impls[api] = framework[api]
        for instance in stack.instances:
            if isinstance(instance.impl, StackReady):
                await instance.impl.stack_ready()
        # introspection is always served: it is how operators see the stack
        stack.impls.setdefault(Api.inspect, framework[Api.inspect])
        stack.impls.setdefault(Api.providers, framework[Api.providers])
        if config.routing.health_check_interval_s > 0:
            stack._health_task = asyncio.create_task(
                _watch_health(stack.instances, gateway, config.routing.health_check_interval_s)
            )
    except BaseException:
        await stack.shutdown()
        raise
    return stack


def _router_or_single(
    api: Api, providers: list[ProviderInstance], registry: ResourceRegistry, gateway: Gateway
) -> Any:
    spec = api_spec(api)
    if spec.routed_by is None:
        return providers[0].impl
    resource_type = REGISTRY_RESOURCES[spec.routed_by]
    router_class = build_router_class(api, spec.protocol, resource_type, ROUTER_BASES.get(api, Router))
    hint = REGISTER_HINTS.get(resource_type, f"register it with the {spec.routed_by.value} API")
    return router_class(registry, {p.request.provider_id: p.impl for p in providers}, hint, gateway)


async def _watch_health(instances: list[ProviderInstance], gateway: Gateway, interval_s: float) -> None:
    """Probe every provider's health() periodically; unhealthy ones rest in the gateway."""
    while True:
        await asyncio.sleep(interval_s)
        for instance in instances:
            health = await provider_health(instance.impl)
            if health.get("status") == "Error":
                logger.warning("%s is unhealthy: %s", instance.request.label, health.get("message", ""))
                gateway.provider_unhealthy(instance.request.provider_id)
            else:
                gateway.provider_healthy(instance.request.provider_id)


def _declared_models(config: StackConfig) -> list[Model]:
    return [entry.to_resource() for entry in config.models]


def _context_factory(
    config: StackConfig, store: KVStore, registry: ResourceRegistry
) -> Callable[[ProviderRequest], ProviderContext]:
    """Each stateful provider's id, folder, own namespace of the distribution's kv store, and a read-only
    view of the registry."""
    state_root = distribution_dir(config.name) / "providers"

    def context_for(request: ProviderRequest) -> ProviderContext:
        namespace = "provider-" + request.provider_id.replace(":", "-")
        return ProviderContext(
            provider_id=request.provider_id,
            state_dir=state_root / request.provider_id,
            kvstore=ProviderKVStore(store, namespace),
            resources=registry,
        )

    return context_for
