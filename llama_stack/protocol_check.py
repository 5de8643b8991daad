"""Startup check that a provider implementation really implements its API's Protocol."""

from __future__ import annotations

import inspect
from typing import Any

from llama_stack_api import protocol_methods


def implementation_problems(protocol: type, impl: Any) -> list[str]:
    """Each way ``impl`` fails ``protocol``, as ``method: problem`` (empty when it conforms).

    Checked per routed method: it exists, is ``async def`` (a coroutine
    function, not an async generator), accepts every parameter of the
    Protocol under the same name, gives a default wherever the Protocol does,
    and requires nothing the Protocol does not pass.
    """
    problems: list[str] = []
    for spec in protocol_methods(protocol):
        method = getattr(impl, spec.name, None)
        if method is None:
            problems.append(f"{spec.name}: method is missing")
            continue
        if not inspect.iscoroutinefunction(method):
            kind = "an async generator" if inspect.isasyncgenfunction(method) else "not a coroutine function"
            problems.append(f"{spec.name}: must be `async def` returning its result, but it is {kind}")
            continue
        try:
            actual = inspect.signature(method).parameters
        except (TypeError, ValueError):
            continue  # builtins without signatures: nothing more to check
        problems.extend(_parameter_problems(spec.name, spec.parameters, actual))
    return problems


def _parameter_problems(method: str, expected: list[inspect.Parameter], actual: Any) -> list[str]:
    problems: list[str] = []
    takes_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in actual.values())
    for param in expected:
        got = actual.get(param.name)
        if got is None:
            if not takes_var_kw:
                problems.append(f"{method}: parameter {param.name!r} is missing")
            continue
        if got.kind is inspect.Parameter.POSITIONAL_ONLY:
            problems.append(f"{method}: parameter {param.name!r} must be accepted by keyword")
        if param.default is not inspect.Parameter.empty and got.default is inspect.Parameter.empty:
            problems.append(f"{method}: parameter {param.name!r} needs a default, as in the Protocol")
    names = {p.name for p in expected}
    for name, got in actual.items():
        if name in names or got.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            continue
        if got.default is inspect.Parameter.empty:
            problems.append(f"{method}: parameter {name!r} is required but not part of the Protocol")
    return problems
