"""Loading a distribution: YAML → env substitution → validation of every section, all problems at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llama_stack.plugins import PluginRegistry
from llama_stack_api import Api, api_spec, available_apis

from ._env import is_disabled, substitute_env
from ._problems import Loc, Problems, closest, format_path, one_of
from ._providers import ProviderChecks, parse_api
from ._resources import RESOURCE_SECTIONS, ResourceEntry
from ._schema import StackConfig
from ._validation import field_names, show_value, validate
from ._yaml import read_yaml

# top-level fields validated in one go; apis, providers and resources are checked one entry at a time
_SIMPLE_FIELDS = ("version", "name", "storage", "server", "routing")
_LEGACY_SECTIONS = {"vector_dbs": "vector_stores"}


def load_stack_config(path: Path, registry: PluginRegistry, env: Mapping[str, str]) -> StackConfig:
    """Read, substitute and validate a distribution file.

    Raises ``ConfigError`` listing every problem found. In the result each
    provider entry carries its ``spec`` and its ``config`` as an instance of
    the spec's config class.
    """
    problems = Problems(str(path))
    data = read_yaml(Path(path), problems)
    if data is None:
        problems.fail()
    # keys written twice are problems, yet the file still parsed: validate it too
    return _Builder(problems, registry).build(data, env)


def parse_stack_config(
    data: Mapping[str, Any],
    registry: PluginRegistry,
    env: Mapping[str, str] | None = None,
    *,
    source: str = "<config>",
) -> StackConfig:
    """Like ``load_stack_config`` for data already in memory; ``source`` names it in problems."""
    return _Builder(Problems(source), registry).build(data, env or {})


class _Builder:
    def __init__(self, problems: Problems, registry: PluginRegistry) -> None:
        self.problems = problems
        self.providers = ProviderChecks(problems, registry)

    def build(self, data: Any, env: Mapping[str, str]) -> StackConfig:
        if not isinstance(data, Mapping):
            self.problems.add(
                (), f"got {show_value(data)}", "a mapping of distribution settings (name, apis, ...)"
            )
            self.problems.fail()
        written = dict(data)
        raw = substitute_env(written, env, self.problems)
        self._check_keys(raw)
        shell = {key: raw[key] for key in _SIMPLE_FIELDS if key in raw}
        ok, base = validate(StackConfig, {**shell, "apis": []}, self.problems, ())
        apis = self._apis(raw)
        providers = self.providers.section(written, raw, apis)
        resources = self._resources(written, raw)
        self.problems.raise_if_any(written)
        assert ok and isinstance(base, StackConfig)
        return base.model_copy(update={"apis": apis, "providers": providers, **resources})

    def _check_keys(self, raw: Mapping[str, Any]) -> None:
        names = field_names(StackConfig)
        for key in raw:
            if key not in names:
                self.problems.add(
                    (str(key),), f"unknown field {key!r}", one_of(names), closest(str(key), names)
                )

    def _list(self, raw: Mapping[str, Any], key: str, what: str) -> list[Any]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.add((key,), f"got {show_value(value)}", f"a list of {what}")
            return []
        return value

    def _apis(self, raw: Mapping[str, Any]) -> list[Api]:
        if "apis" not in raw:
            self.problems.add(
                ("apis",), "missing required field", "a list of API names, e.g. [inference, models]"
            )
        apis: list[Api] = []
        for index, item in enumerate(self._list(raw, "apis", "API names")):
            api = parse_api(item, ("apis", index), self.problems)
            if api is None:
                continue
            if api in apis:
                self.problems.add(("apis", index), f"API {api.value!r} is listed twice")
                continue
            try:
                api_spec(api)
            except LookupError:
                available = [a.value for a in available_apis()]
                self.problems.add(
                    ("apis", index),
                    f"API {api.value!r} is not implemented in this version",
                    one_of(available),
                )
                continue
            apis.append(api)
        return apis

    def _resources(
        self, written: Mapping[str, Any], raw: Mapping[str, Any]
    ) -> dict[str, list[ResourceEntry]]:
        found: dict[str, list[ResourceEntry]] = {}
        where: dict[int, Loc] = {}  # id(entry) -> its place in the file, for cross-reference problems
        for section, entry_class in RESOURCE_SECTIONS.items():
            keys = [section, *(legacy for legacy, new in _LEGACY_SECTIONS.items() if new == section)]
            entries: list[ResourceEntry] = []
            seen: dict[str, Loc] = {}
            for key in keys:
                for index, item in enumerate(self._list(raw, key, f"{section} entries")):
                    loc: Loc = (key, index)
                    if is_disabled(written, item, loc):
                        continue  # it goes with its disabled provider
                    provider_id = item.get("provider_id") if isinstance(item, Mapping) else None
                    if isinstance(provider_id, str) and provider_id:
                        self.providers.check_reference(
                            entry_class.provider_api, provider_id, (*loc, "provider_id")
                        )
                    backends = item.get("backends") if isinstance(item, Mapping) else None
                    for b_index, backend in enumerate(backends if isinstance(backends, list) else []):
                        b_provider = backend.get("provider_id") if isinstance(backend, Mapping) else None
                        if isinstance(b_provider, str) and b_provider:
                            self.providers.check_reference(
                                entry_class.provider_api,
                                b_provider,
                                (*loc, "backends", b_index, "provider_id"),
                            )
                    ok, entry = validate(entry_class, item, self.problems, loc)
                    if not ok:
                        continue
                    assert isinstance(entry, ResourceEntry)
                    first = seen.setdefault(entry.resource_id, loc)
                    if first != loc:
                        self.problems.add(
                            (*loc, entry.id_field),
                            f"duplicate {entry.id_field} {entry.resource_id!r}",
                            f"a unique id ({format_path(first)} uses it already)",
                        )
                        continue
                    entries.append(entry)
                    where[id(entry)] = loc
            found[section] = entries
        self._check_guardrails(found, where)
        return found

    def _check_guardrails(self, found: Mapping[str, list[ResourceEntry]], where: Mapping[int, Loc]) -> None:
        """A model's guardrails may only name shields this distribution declares (and keeps enabled).

        Dropping an unknown shield would serve the model unguarded, so it is an error.
        """
        shields = [entry.resource_id for entry in found.get("shields", [])]
        for entry in found.get("models", []):
            guardrails = getattr(entry, "guardrails", None)
            if guardrails is None:
                continue
            for side in ("input_shields", "output_shields"):
                for s_index, shield_id in enumerate(getattr(guardrails, side)):
                    if shield_id not in shields:
                        self.problems.add(
                            (*where[id(entry)], "guardrails", side, s_index),
                            f"shield {shield_id!r} is not declared in `shields:` (or its provider is disabled)",
                            one_of(shields),
                            closest(shield_id, shields),
                        )
