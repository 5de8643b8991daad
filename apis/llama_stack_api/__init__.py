"""The Llama Stack API contract: protocols, types, routes, errors and plugin hooks.

Depends on pydantic and pluggy only; never imports the framework or the providers.
"""

from ._routes import MethodSpec, RouteSpec, protocol_methods, split_stream_type, webmethod
from .apis import Api, ApiSpec, api_spec, available_apis
from .context import Principal, current_principal, current_provider_data
from .errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    LlamaStackError,
    NotFoundError,
    NotSupportedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from .plugins import HealthReporting, ProviderLifecycle, ProviderSpec, hookimpl, hookspec
from .resources import (
    Benchmark,
    Dataset,
    Model,
    ModelBackend,
    ModelType,
    Resource,
    ResourceSource,
    ResourceType,
    RoutingStrategy,
    ScoringFn,
    Shield,
    ToolGroup,
    VectorStore,
)

__all__ = [
    "Api",
    "ApiSpec",
    "AuthenticationError",
    "Benchmark",
    "ConflictError",
    "Dataset",
    "HealthReporting",
    "InvalidRequestError",
    "LlamaStackError",
    "MethodSpec",
    "Model",
    "ModelBackend",
    "ModelType",
    "NotFoundError",
    "NotSupportedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Principal",
    "ProviderError",
    "ProviderLifecycle",
    "ProviderSpec",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "Resource",
    "ResourceSource",
    "ResourceType",
    "RouteSpec",
    "RoutingStrategy",
    "ScoringFn",
    "Shield",
    "ToolGroup",
    "VectorStore",
    "api_spec",
    "available_apis",
    "current_principal",
    "current_provider_data",
    "hookimpl",
    "hookspec",
    "protocol_methods",
    "split_stream_type",
    "webmethod",
]
