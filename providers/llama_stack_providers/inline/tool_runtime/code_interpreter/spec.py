"""The spec of ``inline::code-interpreter``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.tool_runtime.code_interpreter"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.tool_runtime,
        provider_type="inline::code-interpreter",
        config_class=f"{_PACKAGE}.config:CodeInterpreterConfig",
        factory=f"{_PACKAGE}.provider:create",
        description=(
            "The code_interpreter tool: Python cells run in confined, resource-limited subprocesses, "
            "one scratch folder per session."
        ),
    )
]
