"""The resolver: dependency order, injection, cycles, missing dependencies, Protocol checks, shutdown order."""

from __future__ import annotations

from typing import Any

import pytest

from llama_stack.resolver import (
    ProviderInstance,
    ProviderRequest,
    ProviderStartupError,
    ResolutionError,
    Resolver,
)
from llama_stack_api import Api, ProviderSpec

# Factories the specs below point at (resolved by "module:attribute" like real providers).
BUILT: list[str] = []
STOPPED: list[str] = []


class Recorder:
    """Implements no API methods; enough for the Models/Providers-free wiring tests below."""

    def __init__(self, name: str, deps: dict[Api, Any]) -> None:
        self.name = name
        self.deps = deps

    async def initialize(self) -> None:
        BUILT.append(self.name)

    async def shutdown(self) -> None:
        STOPPED.append(self.name)


class ConformingInspect(Recorder):
    """Conforms to both Inspect and Providers, the two small Protocols these tests wire together."""

    async def health(self) -> Any: ...
    async def version(self) -> Any: ...
    async def list_routes(self) -> Any: ...
    async def list_providers(self) -> Any: ...
    async def inspect_provider(self, provider_id: str) -> Any: ...


class BrokenInspect(Recorder):
    async def health(self, verbose: bool) -> Any: ...  # requires a parameter the Protocol never passes
    def version(self) -> Any: ...  # not async

    # list_routes missing


async def make_conforming(config: Any, deps: dict[Api, Any]) -> ConformingInspect:
    return ConformingInspect(config["name"], deps)


async def make_broken(config: Any, deps: dict[Api, Any]) -> BrokenInspect:
    return BrokenInspect(config["name"], deps)


async def make_failing(config: Any, deps: dict[Api, Any]) -> Any:
    raise RuntimeError("engine not found")


def spec(
    factory: str = "make_conforming", deps: tuple[Api, ...] = (), api: Api = Api.inspect
) -> ProviderSpec:
    # inspect/providers stand in for any API: their Protocols are tiny, and the resolver treats every API alike
    return ProviderSpec(
        api=api,
        provider_type="inline::test",
        config_class=f"{__name__}:Recorder",
        factory=f"{__name__}:{factory}",
        api_dependencies=deps,
    )


def single(api: Api, providers: list[ProviderInstance]) -> Any:
    return providers[0].impl


@pytest.fixture(autouse=True)
def _reset() -> None:
    BUILT.clear()
    STOPPED.clear()


def test_orders_by_dependency_and_injects_dependencies() -> None:
    # providers declared in the "wrong" order: b depends on the API a serves
    a = ProviderRequest(api=Api.inspect, provider_id="a", spec=spec(), config={"name": "a"})
    b_spec = spec(deps=(Api.inspect,), api=Api.providers)
    b = ProviderRequest(api=Api.providers, provider_id="b", spec=b_spec, config={"name": "b"})
    resolver = Resolver([b, a], single)
    assert [r.provider_id for r in resolver.order()] == ["a", "b"]


async def test_build_initializes_in_order_and_shuts_down_in_reverse() -> None:
    a = ProviderRequest(api=Api.inspect, provider_id="a", spec=spec(), config={"name": "a"})
    b_spec = spec(deps=(Api.inspect,), api=Api.providers)
    b = ProviderRequest(api=Api.providers, provider_id="b", spec=b_spec, config={"name": "b"})
    resolver = Resolver([b, a], single)
    instances = await resolver.build()
    assert BUILT == ["a", "b"]
    assert instances[1].impl.deps[Api.inspect] is instances[0].impl
    await resolver.shutdown()
    assert STOPPED == ["b", "a"]


def test_missing_dependency_names_the_provider_and_the_api() -> None:
    b_spec = spec(deps=(Api.inference,), api=Api.providers)
    b = ProviderRequest(api=Api.providers, provider_id="b", spec=b_spec, config={"name": "b"}, index=2)
    with pytest.raises(ResolutionError) as caught:
        Resolver([b], single).order()
    (problem,) = caught.value.problems
    assert problem.path == "providers.providers[2]"
    assert (
        problem.problem == "provider 'b' (inline::test) depends on API 'inference', which no provider serves"
    )
    assert "providers.inference" in problem.expected


def test_cycle_is_reported_with_its_chain() -> None:
    a_spec = spec(deps=(Api.providers,))
    b_spec = spec(deps=(Api.inspect,), api=Api.providers)
    a = ProviderRequest(api=Api.inspect, provider_id="a", spec=a_spec, config={"name": "a"})
    b = ProviderRequest(api=Api.providers, provider_id="b", spec=b_spec, config={"name": "b"})
    with pytest.raises(ResolutionError) as caught:
        Resolver([a, b], single).order()
    assert "dependency cycle: a (inspect) -> b (providers) -> a (inspect)" in caught.value.problems[0].problem


async def test_protocol_mismatch_names_provider_method_and_parameter() -> None:
    broken = ProviderRequest(api=Api.inspect, provider_id="x", spec=spec("make_broken"), config={"name": "x"})
    with pytest.raises(ResolutionError) as caught:
        await Resolver([broken], single).build()
    problems = [p.problem for p in caught.value.problems]
    prefix = "provider 'x' (inline::test) does not implement Inspect: "
    assert problems == [
        prefix + "health: parameter 'verbose' is required but not part of the Protocol",
        prefix + "version: must be `async def` returning its result, but it is not a coroutine function",
        prefix + "list_routes: method is missing",
    ]


async def test_failure_midway_shuts_down_what_was_built() -> None:
    a = ProviderRequest(api=Api.inspect, provider_id="a", spec=spec(), config={"name": "a"})
    bad_spec = spec("make_failing", deps=(Api.inspect,), api=Api.providers)
    bad = ProviderRequest(api=Api.providers, provider_id="bad", spec=bad_spec, config={"name": "bad"})
    with pytest.raises(ProviderStartupError) as caught:
        await Resolver([a, bad], single).build()
    assert str(caught.value) == (
        "providers.providers[0]: provider 'bad' (inline::test) failed to start: RuntimeError: engine not found"
    )
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert STOPPED == ["a"]
