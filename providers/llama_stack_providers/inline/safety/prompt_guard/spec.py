"""The spec of ``inline::prompt-guard``; cheap to import (the classifier loads torch lazily)."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.safety.prompt_guard"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.safety,
        provider_type="inline::prompt-guard",
        config_class=f"{_PACKAGE}.config:PromptGuardConfig",
        factory=f"{_PACKAGE}.provider:create",
        pip_packages=("torch>=2.4", "transformers>=4.45", "metatronnanoguard==0.1.0"),
        description=(
            "Jailbreak / prompt-injection classifier shield: Meta's Prompt-Guard-86M from a local checkpoint, "
            "or offline the classifier bundled with metatronnanoguard. Long inputs are scored in overlapping "
            "windows, so an injection at the end of a long document is still caught."
        ),
    )
]
