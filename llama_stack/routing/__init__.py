"""Resource registry, the generic router, and the registry-backed framework APIs."""

from ._gateway import Backend, Gateway
from ._models import ModelsTable
from ._registry import ResourceRegistry
from ._router import Router, build_router_class
from ._served import (
    ATTEMPTS_HEADER,
    OVERHEAD_HEADER,
    PROVIDER_HEADER,
    SHIELDS_HEADER,
    ServedInfo,
    current_served,
    start_served,
)
from ._shields import ShieldsTable

__all__ = [
    "ATTEMPTS_HEADER",
    "OVERHEAD_HEADER",
    "PROVIDER_HEADER",
    "SHIELDS_HEADER",
    "Backend",
    "Gateway",
    "ModelsTable",
    "ResourceRegistry",
    "Router",
    "ServedInfo",
    "ShieldsTable",
    "build_router_class",
    "current_served",
    "start_served",
]
