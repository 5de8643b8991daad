"""Secrets never appear in config problems or in redacted dumps."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from llama_stack.config import REDACTED, ConfigError, load_stack_config, redacted_config_dict
from llama_stack.plugins import PluginRegistry, discover
from llama_stack_api import Api, ProviderSpec, hookimpl

SECRET = "sk-test-DO-NOT-PRINT-4821"


class VaultConfig(BaseModel):
    """A provider config whose own validator quotes the secret it rejects (as careless plugins do)."""

    model_config = ConfigDict(extra="forbid")

    url: str = "http://localhost:8000"
    api_key: SecretStr | None = None
    access_token: str = ""
    retries: int = 3

    @model_validator(mode="after")
    def _key_prefix(self) -> VaultConfig:
        if self.api_key is not None and not self.api_key.get_secret_value().startswith("key-"):
            raise ValueError(f"api_key {self.api_key.get_secret_value()!r} must start with 'key-'")
        return self


class VaultPlugin:
    @hookimpl
    def llama_stack_provider_specs(self) -> list[ProviderSpec]:
        return [
            ProviderSpec(
                api=Api.inference,
                provider_type="remote::vault",
                config_class=f"{__name__}:VaultConfig",
                factory=f"{__name__}:create",
            )
        ]


@pytest.fixture
def registry() -> PluginRegistry:
    return discover(extra_plugins=[VaultPlugin()], autoload=False)


def problems(tmp_path: Path, registry: PluginRegistry, text: str) -> str:
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as info:
        load_stack_config(path, registry, {"SECRET": SECRET})
    return str(info.value)


def test_secrets_in_bad_values_are_never_echoed(tmp_path: Path, registry: PluginRegistry) -> None:
    output = problems(
        tmp_path,
        registry,
        """\
        name: test
        apis: [inference]
        providers:
          inference:
            - provider_id: vault
              provider_type: remote::vault
              config:
                api_key: ${env.SECRET}
                access_token: [sk-test-DO-NOT-PRINT-4821]
                retries: ${env.SECRET}
                url: postgresql://user:sk-test-DO-NOT-PRINT-4821@db/x
                apikey_typo: ${env.SECRET}
        server:
          port: postgresql://user:sk-test-DO-NOT-PRINT-4821@db/x
          auth:
            api_keys:
              - key: ${env.SECRET}
                principal: [sk-test-DO-NOT-PRINT-4821]
        """,
    )
    file = tmp_path / "stack.yaml"
    assert SECRET not in output
    assert output.splitlines() == [
        f"{file}: providers.inference[0].config.access_token: got a list; expected a valid string",
        # a value from the environment is named, never quoted
        f"{file}: providers.inference[0].config.retries: got the value of ${{env.SECRET}}; "
        "expected a valid integer, unable to parse string as an integer",
        f"{file}: providers.inference[0].config.apikey_typo: unknown field 'apikey_typo'; "
        "expected one of: url, api_key, access_token, retries; did you mean 'api_key'?",
        f"{file}: server.port: got 'postgresql://user:{REDACTED}@db/x'; "
        "expected a valid integer, unable to parse string as an integer",
        f"{file}: server.auth.api_keys[0].principal: got a list; expected a valid string",
    ]


def test_a_validator_quoting_a_secret_is_masked(tmp_path: Path, registry: PluginRegistry) -> None:
    output = problems(
        tmp_path,
        registry,
        """\
        name: test
        apis: [inference]
        providers:
          inference:
            - {provider_id: vault, provider_type: remote::vault, config: {api_key: "${env.SECRET}"}}
        """,
    )
    assert SECRET not in output
    assert output == (
        f"{tmp_path / 'stack.yaml'}: providers.inference[0].config: "
        f"api_key '{REDACTED}' must start with 'key-'"
    )


def test_yaml_errors_do_not_quote_the_line(tmp_path: Path, registry: PluginRegistry) -> None:
    output = problems(tmp_path, registry, f"name: test\napi_key: {SECRET}: oops\n")
    assert SECRET not in output
    assert (
        output == f"{tmp_path / 'stack.yaml'}: invalid YAML at line 2, column 35: "
        "mapping values are not allowed here"
    )


def test_redacted_dict_masks_secret_fields_and_names(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            name: test
            apis: [inference]
            providers:
              inference:
                - provider_id: vault
                  provider_type: remote::vault
                  config:
                    api_key: key-${env.SECRET}
                    access_token: ${env.SECRET}
                    url: https://user:${env.SECRET}@example.org/v1
            server:
              auth:
                api_keys: [{key: "${env.SECRET}", principal: alice, attributes: {roles: [admin]}}]
            storage:
              kvstore: {type: postgres, dsn: "postgresql://u:${env.SECRET}@db/x"}
            """
        )
    )
    config = load_stack_config(path, registry, {"SECRET": SECRET})
    [entry] = config.providers[Api.inference]

    assert redacted_config_dict(entry.config) == {
        "url": f"https://user:{REDACTED}@example.org/v1",
        "api_key": REDACTED,
        "access_token": REDACTED,
        "retries": 3,
    }
    whole = redacted_config_dict(config)
    assert SECRET not in json.dumps(whole)
    assert whole["server"]["auth"]["api_keys"] == [
        {"key": REDACTED, "principal": "alice", "attributes": {"roles": ["admin"]}}
    ]
    assert whole["storage"]["kvstore"]["dsn"] == REDACTED
    assert whole["providers"]["inference"][0]["provider_type"] == "remote::vault"
