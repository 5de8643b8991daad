"""The list of APIs a stack can serve, and how each one is found."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum


class Api(StrEnum):
    """Every API of the Llama Stack; the value is its contract module's name."""

    # served by providers
    inference = "inference"
    safety = "safety"
    agents = "agents"
    vector_io = "vector_io"
    files = "files"
    datasetio = "datasetio"
    scoring = "scoring"
    eval = "eval"
    post_training = "post_training"
    synthetic_data_generation = "synthetic_data_generation"
    tool_runtime = "tool_runtime"
    telemetry = "telemetry"
    batches = "batches"
    conversations = "conversations"

    # served by the framework: resource registries and introspection
    models = "models"
    shields = "shields"
    vector_dbs = "vector_dbs"
    datasets = "datasets"
    scoring_functions = "scoring_functions"
    benchmarks = "benchmarks"
    tool_groups = "tool_groups"
    inspect = "inspect"
    providers = "providers"


@dataclass(frozen=True)
class ApiSpec:
    """What a contract module declares about its API (its module-level ``API_SPEC``).

    ``routed_by`` names the registry API whose resources pick the provider
    (inference is routed by ``models``); ``None`` means a single provider
    serves the API, or the framework itself does (``framework=True``).
    """

    api: Api
    protocol: type
    routed_by: Api | None = None
    framework: bool = False
    description: str = ""


def api_spec(api: Api) -> ApiSpec:
    """The ``API_SPEC`` of ``api``'s contract module.

    Raises ``LookupError`` when the contract for this API is not written yet.
    """
    try:
        module = importlib.import_module(f"llama_stack_api.{api.value}")
    except ModuleNotFoundError as exc:
        if exc.name != f"llama_stack_api.{api.value}":
            raise
        raise LookupError(f"API {api.value!r} has no contract module yet") from exc
    spec = getattr(module, "API_SPEC", None)
    if not isinstance(spec, ApiSpec):
        raise LookupError(f"llama_stack_api.{api.value} does not define API_SPEC")
    return spec


def available_apis() -> list[Api]:
    """The APIs whose contract exists in this version."""
    found: list[Api] = []
    for api in Api:
        try:
            api_spec(api)
        except LookupError:
            continue
        found.append(api)
    return found
