"""The spec of ``inline::code-scanner``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.safety.code_scanner"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.safety,
        provider_type="inline::code-scanner",
        config_class=f"{_PACKAGE}.config:CodeScannerConfig",
        factory=f"{_PACKAGE}.provider:create",
        description=(
            "Insecure-code detection on code in messages (like Meta's CodeShield): Python (AST), "
            "JavaScript/TypeScript, C/C++, shell and hard-coded secrets; each finding with rule id, line, "
            "severity and CWE. No model, no dependencies."
        ),
    )
]
