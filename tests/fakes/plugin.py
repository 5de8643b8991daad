"""The test plugin: registers the fake providers exactly as an installed plugin would."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec, hookimpl


@hookimpl
def llama_stack_provider_specs() -> list[ProviderSpec]:
    return [
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::fake",
            config_class="tests.fakes.inference:FakeInferenceConfig",
            factory="tests.fakes.inference:create",
            description="Deterministic echo model for tests.",
        ),
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::flaky",
            config_class="tests.fakes.flaky:FlakyInferenceConfig",
            factory="tests.fakes.flaky:create",
            description="The echo model, failing its first calls on purpose (gateway tests).",
        ),
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::scripted",
            config_class="tests.fakes.scripted_inference:ScriptedInferenceConfig",
            factory="tests.fakes.scripted_inference:create",
            description="Plays a script of answers and tool calls written in the conversation (agent tests).",
        ),
        ProviderSpec(
            api=Api.safety,
            provider_type="inline::fake-shield",
            config_class="tests.fakes.safety:FakeShieldConfig",
            factory="tests.fakes.safety:create",
            description="Flags messages containing configured words, after an optional delay.",
        ),
    ]
