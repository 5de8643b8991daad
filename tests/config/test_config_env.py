"""Env substitution in a distribution: the three forms, embedded references, coercion, disabled providers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from llama_stack.config import ConfigError, StackConfig, load_stack_config
from llama_stack.plugins import PluginRegistry, discover
from llama_stack_api import Api, ProviderSpec, hookimpl


class EchoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = ""


class EchoPlugin:
    @hookimpl
    def llama_stack_provider_specs(self) -> list[ProviderSpec]:
        return [
            ProviderSpec(
                api=Api.inference,
                provider_type="remote::echo",
                config_class=f"{__name__}:EchoConfig",
                factory=f"{__name__}:create",
            )
        ]


@pytest.fixture
def registry() -> PluginRegistry:
    return discover(extra_plugins=[EchoPlugin()], autoload=False)


def load(tmp_path: Path, registry: PluginRegistry, text: str, env: dict[str, str]) -> StackConfig:
    path = tmp_path / "stack.yaml"
    path.write_text("name: test\n" + textwrap.dedent(text))
    return load_stack_config(path, registry, env)


def host_for(tmp_path: Path, registry: PluginRegistry, value: str, env: dict[str, str]) -> str:
    config = load(tmp_path, registry, f"apis: [models]\nserver:\n  host: '{value}'\n", env)
    return config.server.host


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${env.H}", {"H": "10.0.0.1"}, "10.0.0.1"),
        ("${env.H}", {"H": ""}, ""),
        ("${env.H:=localhost}", {}, "localhost"),
        ("${env.H:=localhost}", {"H": ""}, "localhost"),
        ("${env.H:=localhost}", {"H": "example.org"}, "example.org"),
        ("${env.H:=}", {}, ""),
        ("${env.H:+set}", {"H": "x"}, "set"),
        ("${env.H:+set}", {"H": ""}, ""),
        ("${env.H:+set}", {}, ""),
        ("http://${env.H:=localhost}:${env.P:=8000}/v1", {"P": "9000"}, "http://localhost:9000/v1"),
        ("no references", {"H": "x"}, "no references"),
    ],
)
def test_substitution_forms(
    tmp_path: Path, registry: PluginRegistry, value: str, env: dict[str, str], expected: str
) -> None:
    assert host_for(tmp_path, registry, value, env) == expected


def test_substituted_strings_are_coerced_to_the_field_type(tmp_path: Path, registry: PluginRegistry) -> None:
    text = "apis: [models]\nserver:\n  port: ${env.PORT:=8321}\n  limits: {request_timeout_s: '${env.T}'}\n"
    config = load(tmp_path, registry, text, {"T": "2.5"})
    assert config.server.port == 8321
    assert config.server.limits.request_timeout_s == 2.5


def test_unset_variable_and_malformed_reference_are_problems(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    with pytest.raises(ConfigError) as info:
        load(
            tmp_path, registry, "apis: [models]\nserver:\n  host: '${env.NOPE}'\n  port: '${env.P:-1}'\n", {}
        )
    path = tmp_path / "stack.yaml"
    assert str(info.value).splitlines() == [
        f"{path}: server.host: environment variable 'NOPE' is not set; "
        "expected it set (or pass --env NOPE=...), or a default: ${env.NOPE:=default}",
        f"{path}: server.port: malformed environment reference; "
        "expected ${env.NAME}, ${env.NAME:=default} or ${env.NAME:+value}",
    ]


PROVIDERS = """\
    apis: [inference, models]
    providers:
      inference:
        - provider_id: ${env.ECHO_ID:=echo}
          provider_type: remote::echo
          config: {url: "${env.ECHO_URL:=http://localhost:8000}"}
        - provider_id: ${env.OTHER_URL:+other}
          provider_type: remote::echo
          config: {url: "${env.OTHER_URL:=}"}
    models:
      - model_id: on-other
        provider_id: ${env.OTHER_URL:+other}
      - model_id: on-echo
        provider_id: echo
"""


def test_provider_whose_id_resolves_empty_is_disabled(tmp_path: Path, registry: PluginRegistry) -> None:
    config = load(tmp_path, registry, PROVIDERS, {})
    assert [e.provider_id for e in config.providers[Api.inference]] == ["echo"]
    # a resource whose provider_id resolves empty goes with its provider
    assert [m.model_id for m in config.models] == ["on-echo"]

    config = load(tmp_path, registry, PROVIDERS, {"OTHER_URL": "http://other:1"})
    entries = config.providers[Api.inference]
    assert [(e.provider_id, e.config.url) for e in entries] == [
        ("echo", "http://localhost:8000"),
        ("other", "http://other:1"),
    ]
    assert [m.model_id for m in config.models] == ["on-other", "on-echo"]


def test_a_literal_reference_to_a_disabled_provider_is_reported(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    text = PROVIDERS.replace(
        "model_id: on-echo\n        provider_id: echo", "model_id: on-echo\n        provider_id: other"
    )
    with pytest.raises(ConfigError) as info:
        load(tmp_path, registry, text, {})
    assert str(info.value) == (
        f"{tmp_path / 'stack.yaml'}: models[1].provider_id: unknown provider_id 'other'; "
        "expected one of: echo"
    )
