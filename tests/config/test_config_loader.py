"""Loading a distribution YAML: a valid file binds specs and configs; each problem prints one exact line."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

import tests.fakes.plugin
from llama_stack.config import ConfigError, StackConfig, load_stack_config, parse_stack_config
from llama_stack.plugins import PluginRegistry, discover
from llama_stack_api import Api, ProviderSpec, available_apis, hookimpl


class FakeConfig(BaseModel):
    """The config class of the test plugin's provider."""

    model_config = ConfigDict(extra="forbid")

    url: str = "http://localhost:8000"
    api_key: SecretStr | None = None
    timeout_s: float = 30.0


class FakePlugin:
    @hookimpl
    def llama_stack_provider_specs(self) -> list[ProviderSpec]:
        return [
            ProviderSpec(
                api=Api.inference,
                provider_type="inline::fake",
                config_class=f"{__name__}:FakeConfig",
                factory=f"{__name__}:create",
            )
        ]


fake_plugin = FakePlugin()

VALID = """\
    name: test
    apis: [inference, models]
    providers:
      inference:
        - provider_id: fake
          provider_type: inline::fake
          config:
            url: http://localhost:9000
    models:
      - model_id: my-model
        provider_id: fake
        provider_model_id: fake-model-1
"""

# the same file with `{}` slots for extra top-level sections
TEMPLATE = """\
    name: test
    apis: [inference, models]
    providers:
      inference:
        - provider_id: fake
          provider_type: inline::fake
"""


@pytest.fixture
def registry() -> PluginRegistry:
    return discover(extra_plugins=[fake_plugin], autoload=False)


Write = Callable[[str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(text: str) -> Path:
        path = tmp_path / "stack.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    return write


def problem_lines(path: Path, registry: PluginRegistry, env: Mapping[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_stack_config(path, registry, env or {})
    assert str(info.value) == info.value.format()
    return str(info.value).splitlines()


def test_valid_file_binds_each_provider_to_its_spec_and_config(
    registry: PluginRegistry, write: Write
) -> None:
    config = load_stack_config(write(VALID), registry, {})

    assert isinstance(config, StackConfig)
    assert config.apis == [Api.inference, Api.models]
    [entry] = config.providers[Api.inference]
    assert entry.provider_id == "fake"
    assert entry.spec.provider_type == "inline::fake"
    assert isinstance(entry.config, FakeConfig)
    assert entry.config.url == "http://localhost:9000"
    assert config.provider_entries() == [(Api.inference, entry)]
    [model] = config.models
    resource = model.to_resource()
    assert (resource.identifier, resource.provider_id, resource.provider_key) == (
        "my-model",
        "fake",
        "fake-model-1",
    )
    assert config.server.port == 8321


def test_legacy_vector_dbs_section_is_read_as_vector_stores(registry: PluginRegistry, write: Write) -> None:
    path = write(
        VALID
        + """\
    vector_dbs:
      - vector_db_id: docs
        provider_id: fake
        embedding_model: all-MiniLM-L6-v2
        embedding_dimension: 384
"""
    )
    lines = problem_lines(path, registry)
    # vector stores are served by vector_io providers: the entry is read, and its provider checked
    assert lines == [
        f"{path}: vector_dbs[0].provider_id: provider 'fake' serves API 'inference', not 'vector_io'; "
        "expected the id of a provider of API 'vector_io' (none are configured)"
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            "servr: {port: 1}\n",
            "servr: unknown field 'servr'; expected one of: version, name, apis, providers, storage, models, "
            "shields, vector_stores, vector_dbs, datasets, scoring_fns, benchmarks, tool_groups, server, routing; "
            "did you mean 'server'?",
            id="unknown top-level key",
        ),
        pytest.param(
            "server: {port: eighty}\n",
            "server.port: got 'eighty'; expected a valid integer, unable to parse string as an integer",
            id="wrong field type",
        ),
        pytest.param(
            "server: {limits: {max_request_body_bytes: -1}}\n",
            "server.limits.max_request_body_bytes: got -1; expected greater than 0",
            id="out of range",
        ),
        pytest.param(
            "server: {host: '${env.LLAMA_TEST_HOST}'}\n",
            "server.host: environment variable 'LLAMA_TEST_HOST' is not set; "
            "expected it set (or pass --env LLAMA_TEST_HOST=...), "
            "or a default: ${env.LLAMA_TEST_HOST:=default}",
            id="unset env var",
        ),
        pytest.param(
            "models: [{model_id: m, provider_id: fake, model_type: llmm}]\n",
            "models[0].model_type: got 'llmm'; expected 'llm' or 'embedding'; did you mean 'llm'?",
            id="bad enum value",
        ),
        pytest.param(
            "models: [{model_id: m, provider_id: fak}]\n",
            "models[0].provider_id: unknown provider_id 'fak'; expected one of: fake; did you mean 'fake'?",
            id="resource names unknown provider",
        ),
        pytest.param(
            "models: [{provider_id: fake}]\n",
            "models[0].model_id: missing required field",
            id="resource missing field",
        ),
        pytest.param(
            "shields: [{shield_id: guard, provider_id: fake}]\n",
            "shields[0].provider_id: provider 'fake' serves API 'inference', not 'safety'; "
            "expected the id of a provider of API 'safety' (none are configured)",
            id="resource names provider of another API",
        ),
        pytest.param(
            "models: [{model_id: m, provider_id: fake}, {model_id: m, provider_id: fake}]\n",
            "models[1].model_id: duplicate model_id 'm'; expected a unique id (models[0] uses it already)",
            id="duplicate resource id",
        ),
        pytest.param(
            "storage: {kvstore: {type: sqlit}}\n",
            "storage.kvstore.type: got 'sqlit'; expected one of 'sqlite', 'postgres', 'memory'; "
            "did you mean 'sqlite'?",
            id="storage backend type",
        ),
        pytest.param(
            "name: 'a/b'\n",
            "name: distribution name 'a/b' must be a plain name (letters, digits, '.', '_', '-'): "
            "it names the folder holding the distribution's state",
            id="distribution name",
        ),
    ],
)
def test_each_problem_prints_one_exact_line(
    registry: PluginRegistry, write: Write, extra: str, expected: str
) -> None:
    text = textwrap.dedent(TEMPLATE) + extra
    if extra.startswith("name:"):
        text = text.replace("name: test\n", "")
    path = write(text)
    assert problem_lines(path, registry) == [f"{path}: {expected}"]


@pytest.mark.parametrize(
    ("providers", "expected"),
    [
        pytest.param(
            "      - {provider_id: fake, provider_type: inline::fak}\n",
            "providers.inference[0].provider_type: provider type 'inline::fak' for API 'inference' "
            "is either misspelled or not installed; expected one of: inline::fake; "
            "did you mean 'inline::fake'?",
            id="unknown provider type",
        ),
        pytest.param(
            "      - {provider_id: fake, provider_type: inline::fake}\n"
            "      - {provider_id: fake, provider_type: inline::fake}\n",
            "providers.inference[1].provider_id: duplicate provider_id 'fake'; "
            "expected a unique id across all APIs (providers.inference[0] uses it already)",
            id="duplicate provider id",
        ),
        pytest.param(
            "      - {provider_type: inline::fake}\n",
            "providers.inference[0].provider_id: missing required field",
            id="missing provider id",
        ),
        pytest.param(
            "      - {provider_id: fake, provider_type: inline::fake, conifg: {}}\n",
            "providers.inference[0].conifg: unknown field 'conifg'; "
            "expected one of: provider_id, provider_type, config; did you mean 'config'?",
            id="unknown entry key",
        ),
        pytest.param(
            "      - {provider_id: fake, provider_type: inline::fake, config: {ulr: x}}\n",
            "providers.inference[0].config.ulr: unknown field 'ulr'; "
            "expected one of: url, api_key, timeout_s; did you mean 'url'?",
            id="unknown provider config key",
        ),
        pytest.param(
            "      - {provider_id: fake, provider_type: inline::fake, config: {timeout_s: soon}}\n",
            "providers.inference[0].config.timeout_s: got 'soon'; "
            "expected a valid number, unable to parse string as a number",
            id="provider config type",
        ),
        pytest.param(
            "      - {provider_id: fake, provider_type: inline::fake, config: [url]}\n",
            "providers.inference[0].config: got a list; expected a mapping of inline::fake settings",
            id="provider config not a mapping",
        ),
        pytest.param(
            "      - {provider_id: '', provider_type: inline::fake}\n",
            "providers.inference[0].provider_id: got ''; expected at least 1 character",
            id="literally empty provider id",
        ),
    ],
)
def test_provider_entry_problems(
    registry: PluginRegistry, write: Write, providers: str, expected: str
) -> None:
    path = write("name: test\napis: [inference]\nproviders:\n  inference:\n" + providers)
    assert problem_lines(path, registry) == [f"{path}: {expected}"]


def test_api_problems(registry: PluginRegistry, write: Write) -> None:
    path = write(
        """\
        name: test
        apis: [inferense, models, models]
        providers:
          inference: []
          models: []
        """
    )
    all_apis = ", ".join(api.value for api in Api)
    assert problem_lines(path, registry) == [
        f"{path}: apis[0]: unknown API 'inferense'; expected one of: {all_apis}; did you mean 'inference'?",
        f"{path}: apis[2]: API 'models' is listed twice",
        f"{path}: providers.inference: API 'inference' has providers but is not listed in apis; "
        "add it to apis or remove its providers",
        f"{path}: providers.models: API 'models' is served by the stack itself and takes no providers",
    ]


def test_api_without_a_contract_is_a_problem(registry: PluginRegistry, write: Write) -> None:
    missing = [api for api in Api if api not in available_apis()]
    if not missing:
        pytest.skip("every API has its contract in this version")
    path = write(f"name: test\napis: [models, {missing[0].value}]\n")
    available = ", ".join(api.value for api in available_apis())
    assert problem_lines(path, registry) == [
        f"{path}: apis[1]: API {missing[0].value!r} is not implemented in this version; "
        f"expected one of: {available}"
    ]


def test_yaml_syntax_error_gives_line_and_column(registry: PluginRegistry, write: Write) -> None:
    path = write("name: test\napis: [models\nserver: {}\n")
    assert problem_lines(path, registry) == [
        f"{path}: invalid YAML at line 3, column 7: expected ',' or ']', but got ':'"
    ]


def test_duplicate_yaml_key_and_non_mapping_file(registry: PluginRegistry, write: Write) -> None:
    path = write("name: test\napis: [models]\nname: again\nserver: {port: x}\n")
    assert problem_lines(path, registry) == [
        f"{path}: key 'name' appears twice in one mapping (line 3, column 1); "
        "expected each key once; YAML would silently keep only the last",
        f"{path}: server.port: got 'x'; expected a valid integer, unable to parse string as an integer",
    ]
    path = write("- name: test\n")
    assert problem_lines(path, registry) == [
        f"{path}: got a list; expected a mapping of distribution settings (name, apis, ...)"
    ]


def test_every_problem_is_reported_at_once_in_file_order(registry: PluginRegistry, write: Write) -> None:
    path = write(
        """\
        version: 2
        apis: [inference, models]
        providers:
          inference:
            - provider_id: fake
              provider_type: inline::fake
              config:
                url: ${env.LLAMA_TEST_URL}
                timeout_s: never
            - provider_id: other
              provider_type: remote::nothing
        models:
          - model_id: m
            provider_id: othr
        server:
          port: eighty
          colour: blue
        """
    )
    assert problem_lines(path, registry) == [
        f"{path}: providers.inference[0].config.url: environment variable 'LLAMA_TEST_URL' is not set; "
        "expected it set (or pass --env LLAMA_TEST_URL=...), or a default: ${env.LLAMA_TEST_URL:=default}",
        f"{path}: providers.inference[0].config.timeout_s: got 'never'; "
        "expected a valid number, unable to parse string as a number",
        f"{path}: providers.inference[1].provider_type: provider type 'remote::nothing' for API 'inference' "
        "is either misspelled or not installed; expected one of: inline::fake",
        f"{path}: models[0].provider_id: unknown provider_id 'othr'; expected one of: fake, other; "
        "did you mean 'other'?",
        f"{path}: server.port: got 'eighty'; expected a valid integer, unable to parse string as an integer",
        f"{path}: server.colour: unknown field 'colour'; expected one of: host, port, auth, tls, limits",
        f"{path}: name: missing required field",
    ]


def test_parse_stack_config_validates_data_in_memory(registry: PluginRegistry) -> None:
    data = {
        "name": "lib",
        "apis": ["inference"],
        "providers": {"inference": [{"provider_id": "${env.ID:=fake}", "provider_type": "inline::fake"}]},
    }
    config = parse_stack_config(data, registry, {"ID": "mine"})
    assert [entry.provider_id for entry in config.providers[Api.inference]] == ["mine"]

    with pytest.raises(ConfigError) as info:
        parse_stack_config({**data, "apis": ["inference"], "server": {"port": -1}}, registry, source="<lib>")
    assert str(info.value) == "<lib>: server.port: got -1; expected greater than or equal to 0"


def test_guardrails_may_only_name_declared_shields(write: Write) -> None:
    registry = discover(extra_plugins=[tests.fakes.plugin], autoload=False)
    path = write(
        """\
        version: 2
        name: test
        apis: [inference, models, safety, shields]
        providers:
          inference:
            - {provider_id: fake, provider_type: inline::fake}
          safety:
            - {provider_id: words, provider_type: inline::fake-shield}
            - {provider_id: "${env.OFF:+off}", provider_type: inline::fake-shield}
        shields:
          - {shield_id: words, provider_id: words}
          - {shield_id: disabled, provider_id: "${env.OFF:+off}"}
        models:
          - model_id: guarded
            provider_id: fake
            guardrails: {input_shields: [word], output_shields: [words, disabled]}
        """
    )
    assert problem_lines(path, registry) == [
        f"{path}: models[0].guardrails.input_shields[0]: shield 'word' is not declared in `shields:` "
        "(or its provider is disabled); expected one of: words; did you mean 'words'?",
        f"{path}: models[0].guardrails.output_shields[1]: shield 'disabled' is not declared in `shields:` "
        "(or its provider is disabled); expected one of: words",
    ]
