"""The resolver: instantiates providers in dependency order and injects their dependencies."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import Api, ProviderContext, ProviderSpec, api_spec

from .plugins import import_attribute
from .protocol_check import implementation_problems

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderRequest:
    """One enabled provider of the distribution: what to build."""

    api: Api
    provider_id: str
    spec: ProviderSpec
    config: Any
    index: int = 0  # position under providers.<api> in the YAML, for messages

    @property
    def path(self) -> str:
        return f"providers.{self.api.value}[{self.index}]"

    @property
    def label(self) -> str:
        return f"provider {self.provider_id!r} ({self.spec.provider_type})"


@dataclass
class ProviderInstance:
    request: ProviderRequest
    impl: Any


@dataclass(frozen=True)
class ResolutionProblem:
    path: str
    problem: str
    expected: str = ""


class ProviderStartupError(Exception):
    """A provider's factory or ``initialize()`` failed; names the provider (the cause is chained)."""

    def __init__(self, request: ProviderRequest, cause: BaseException) -> None:
        self.request = request
        super().__init__(f"{request.path}: {request.label} failed to start: {type(cause).__name__}: {cause}")


class ResolutionError(Exception):
    """Providers cannot be wired together; carries every problem found."""

    def __init__(self, problems: list[ResolutionProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.problem}" for p in problems))


DependencyView = Callable[[Api, list[ProviderInstance]], Any]


@dataclass
class Resolver:
    """Builds providers; ``dependency_view`` turns an API's providers into what dependents receive
    (a router for routed APIs, the provider itself otherwise)."""

    requests: list[ProviderRequest]
    dependency_view: DependencyView
    # builds what a stateful provider's factory gets as its third argument (None: nobody offers it)
    context_for: Callable[[ProviderRequest], ProviderContext] | None = None
    instances: list[ProviderInstance] = field(default_factory=list)

    def order(self) -> list[ProviderRequest]:
        """Topological order; raises ``ResolutionError`` on missing dependencies or a cycle."""
        by_api: dict[Api, list[ProviderRequest]] = {}
        for request in self.requests:
            by_api.setdefault(request.api, []).append(request)
        problems: list[ResolutionProblem] = []
        for request in self.requests:
            for dep in request.spec.api_dependencies:
                if dep not in by_api:
                    problems.append(
                        ResolutionProblem(
                            request.path,
                            f"{request.label} depends on API {dep.value!r}, which no provider serves",
                            f"a provider under providers.{dep.value} (and {dep.value!r} in apis)",
                        )
                    )
        if problems:
            raise ResolutionError(problems)

        ordered: list[ProviderRequest] = []
        state: dict[int, str] = {}

        def visit(request: ProviderRequest, trail: list[ProviderRequest]) -> None:
            key = id(request)
            if state.get(key) == "done":
                return
            if state.get(key) == "visiting":
                cycle = [*trail[trail.index(request) :], request]
                chain = " -> ".join(f"{r.provider_id} ({r.api.value})" for r in cycle)
                raise ResolutionError(
                    [
                        ResolutionProblem(
                            request.path, f"dependency cycle: {chain}", "dependencies without a cycle"
                        )
                    ]
                )
            state[key] = "visiting"
            for dep in (*request.spec.api_dependencies, *request.spec.optional_api_dependencies):
                for other in by_api.get(dep, []):
                    visit(other, [*trail, request])
            state[key] = "done"
            ordered.append(request)

        for request in self.requests:
            visit(request, [])
        return ordered

    async def build(self) -> list[ProviderInstance]:
        """Create and initialize every provider in order; on failure shut down what was built."""
        try:
            for request in self.order():
                try:
                    impl = await self._create(request)
                except (ResolutionError, ProviderStartupError):
                    raise
                except Exception as exc:  # named and chained: the operator must learn which provider failed
                    raise ProviderStartupError(request, exc) from exc
                self.instances.append(ProviderInstance(request, impl))
        except BaseException:
            await self.shutdown()
            raise
        return self.instances

    async def _create(self, request: ProviderRequest) -> Any:
        deps: dict[Api, Any] = {}
        for dep in (*request.spec.api_dependencies, *request.spec.optional_api_dependencies):
            providers = [i for i in self.instances if i.request.api == dep]
            if providers:
                deps[dep] = self.dependency_view(dep, providers)
        factory = import_attribute(request.spec.factory)
        if self.context_for is not None and _takes_context(factory):
            impl = await factory(request.config, deps, self.context_for(request))
        else:
            impl = await factory(request.config, deps)
        problems = implementation_problems(api_spec(request.api).protocol, impl)
        if problems:
            protocol_name = api_spec(request.api).protocol.__name__
            raise ResolutionError(
                [
                    ResolutionProblem(
                        request.path,
                        f"{request.label} does not implement {protocol_name}: {problem}",
                        f"the {protocol_name} Protocol in llama_stack_api.{request.api.value}",
                    )
                    for problem in problems
                ]
            )
        initialize = getattr(impl, "initialize", None)
        if initialize is not None:
            await initialize()
        return impl

    async def shutdown(self) -> None:
        """Shut providers down in reverse creation order; one failure does not stop the rest."""
        while self.instances:
            instance = self.instances.pop()
            shutdown = getattr(instance.impl, "shutdown", None)
            if shutdown is None:
                continue
            try:
                await shutdown()
            except Exception:  # shutdown must reach every provider; the failure is logged
                logger.exception("%s failed to shut down", instance.request.label)


def _takes_context(factory: Any) -> bool:
    """Whether a factory is ``create(config, deps, context)`` rather than ``create(config, deps)``."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return len(parameters) >= 3
