"""The distribution YAML: schema, env substitution, validation reporting every problem, lookup by name."""

from ._distributions import DistributionNotFoundError, find_distribution, list_distributions
from ._loader import load_stack_config, parse_stack_config
from ._problems import ConfigError, ConfigProblem
from ._resources import (
    RESOURCE_SECTIONS,
    BenchmarkEntry,
    DatasetEntry,
    ModelEntry,
    ResourceEntry,
    ScoringFnEntry,
    ShieldEntry,
    ToolGroupEntry,
    VectorStoreEntry,
)
from ._schema import (
    ApiKey,
    AuthConfig,
    LimitsConfig,
    ProviderEntry,
    RoutingPolicyConfig,
    ServerConfig,
    StackConfig,
    TLSConfig,
)
from ._secrets import REDACTED, is_secret_name, redacted_config_dict

__all__ = [
    "REDACTED",
    "RESOURCE_SECTIONS",
    "ApiKey",
    "AuthConfig",
    "BenchmarkEntry",
    "ConfigError",
    "ConfigProblem",
    "DatasetEntry",
    "DistributionNotFoundError",
    "LimitsConfig",
    "ModelEntry",
    "ProviderEntry",
    "ResourceEntry",
    "RoutingPolicyConfig",
    "ScoringFnEntry",
    "ServerConfig",
    "ShieldEntry",
    "StackConfig",
    "TLSConfig",
    "ToolGroupEntry",
    "VectorStoreEntry",
    "find_distribution",
    "is_secret_name",
    "list_distributions",
    "load_stack_config",
    "parse_stack_config",
    "redacted_config_dict",
]
