"""Resource registry, the generic router, and the registry-backed framework APIs."""

from ._models import ModelsTable
from ._registry import ResourceRegistry
from ._router import Router, build_router_class

__all__ = ["ModelsTable", "ResourceRegistry", "Router", "build_router_class"]
