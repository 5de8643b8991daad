"""A test plugin whose providers cannot be wired or installed: for the CLI's error reports.

Each provider reuses the fake inference implementation; only its spec is broken.
"""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec, hookimpl

_CONFIG = "tests.fakes.inference:FakeInferenceConfig"
_FACTORY = "tests.fakes.inference:create"


@hookimpl
def llama_stack_provider_specs() -> list[ProviderSpec]:
    return [
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::self-dependent",
            config_class=_CONFIG,
            factory=_FACTORY,
            api_dependencies=(Api.inference,),
            description="Depends on its own API: a dependency cycle.",
        ),
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::needs-safety",
            config_class=_CONFIG,
            factory=_FACTORY,
            api_dependencies=(Api.safety,),
            description="Depends on the safety API.",
        ),
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::needs-package",
            config_class=_CONFIG,
            factory=_FACTORY,
            pip_packages=("llama-stack-test-missing-package>=1.0",),
            description="Needs a pip package that is never installed.",
        ),
    ]
