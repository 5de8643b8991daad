"""Loading a distribution: YAML → env substitution → validation of every section, all problems at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from llama_stack.plugins import PluginRegistry, import_attribute
from llama_stack_api import Api, ProviderSpec, api_spec, available_apis

from ._env import references_env, substitute_env
from ._problems import Loc, Problems, closest, format_path, one_of
from ._resources import RESOURCE_SECTIONS, ResourceEntry
from ._schema import ProviderEntry, StackConfig
from ._validation import field_names, show_value, validate
from ._yaml import read_yaml

# top-level fields validated in one go; apis, providers and resources are checked one entry at a time
_SIMPLE_FIELDS = ("version", "name", "storage", "server")
_LEGACY_SECTIONS = {"vector_dbs": "vector_stores"}


def load_stack_config(path: Path, registry: PluginRegistry, env: Mapping[str, str]) -> StackConfig:
    """Read, substitute and validate a distribution file.

    Raises ``ConfigError`` listing every problem found. In the result each
    provider entry carries its ``spec`` and its ``config`` as an instance of
    the spec's config class.
    """
    problems = Problems(str(path))
    data = read_yaml(Path(path), problems)
    problems.raise_if_any()
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
        self.registry = registry
        # provider_id -> (api, where it is declared), including entries whose config failed
        self.provider_ids: dict[str, tuple[Api, Loc]] = {}

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
        providers = self._providers(written, raw, apis)
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

    def _api(self, value: Any, loc: Loc) -> Api | None:
        if isinstance(value, str) and value in Api.__members__:
            return Api(value)
        names = [api.value for api in Api]
        suggestion = closest(value, names) if isinstance(value, str) else ""
        shown = repr(value) if isinstance(value, str) else show_value(value)
        self.problems.add(loc, f"unknown API {shown}", one_of(names), suggestion)
        return None

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
            api = self._api(item, ("apis", index))
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

    def _providers(
        self, written: Mapping[str, Any], raw: Mapping[str, Any], apis: list[Api]
    ) -> dict[Api, list[ProviderEntry]]:
        section = raw.get("providers")
        if section is None:
            return {}
        if not isinstance(section, Mapping):
            self.problems.add(
                ("providers",), f"got {show_value(section)}", "a mapping of API name to a list of providers"
            )
            return {}
        listed = {name for name in _as_list(raw.get("apis")) if isinstance(name, str)}
        providers: dict[Api, list[ProviderEntry]] = {}
        for key, entries in section.items():
            loc: Loc = ("providers", str(key))
            api = self._api(key, loc)
            if api is None:
                continue
            if api.value not in listed:
                self.problems.add(
                    loc,
                    f"API {api.value!r} has providers but is not listed in apis; "
                    "add it to apis or remove its providers",
                )
            elif api in apis and api_spec(api).framework:
                self.problems.add(
                    loc, f"API {api.value!r} is served by the stack itself and takes no providers"
                )
                continue
            if entries is None:
                continue
            if not isinstance(entries, list):
                self.problems.add(loc, f"got {show_value(entries)}", "a list of providers")
                continue
            found = []
            for index, item in enumerate(entries):
                before = _at(written, (*loc, index))
                if (
                    isinstance(item, Mapping)
                    and item.get("provider_id") == ""
                    and references_env(_at(before, ("provider_id",)))
                ):
                    continue  # disabled: its id resolved empty
                entry = self._provider(api, item, (*loc, index))
                if entry is not None:
                    found.append(entry)
            providers[api] = found
        return providers

    def _provider(self, api: Api, item: Any, loc: Loc) -> ProviderEntry | None:
        self._record_provider_id(api, item, loc)
        spec = self._spec(api, item, loc)
        ok, entry = validate(ProviderEntry, item, self.problems, loc)
        if not ok or spec is None:
            return None
        assert isinstance(entry, ProviderEntry)
        config = self._provider_config(spec, entry.config, (*loc, "config"))
        return None if config is None else entry.bind(spec, config)

    def _record_provider_id(self, api: Api, item: Any, loc: Loc) -> None:
        # read from the raw entry, so that resources naming it are checked even if the entry is broken
        provider_id = item.get("provider_id") if isinstance(item, Mapping) else None
        if not isinstance(provider_id, str) or not provider_id:
            return
        first = self.provider_ids.setdefault(provider_id, (api, loc))
        if first[1] != loc:
            self.problems.add(
                (*loc, "provider_id"),
                f"duplicate provider_id {provider_id!r}",
                f"a unique id across all APIs ({format_path(first[1])} uses it already)",
            )

    def _spec(self, api: Api, item: Any, loc: Loc) -> ProviderSpec | None:
        provider_type = item.get("provider_type") if isinstance(item, Mapping) else None
        if not isinstance(provider_type, str) or not provider_type:
            return None  # validation reports it
        spec = self.registry.get(api, provider_type)
        if spec is None:
            installed = self.registry.provider_types(api)
            self.problems.add(
                (*loc, "provider_type"),
                f"provider type {provider_type!r} for API {api.value!r} "
                "is either misspelled or not installed",
                one_of(installed)
                if installed
                else f"an installed provider for {api.value} (none are installed)",
                closest(provider_type, installed),
            )
        return spec

    def _provider_config(self, spec: ProviderSpec, value: Any, loc: Loc) -> BaseModel | None:
        try:
            config_class = import_attribute(spec.config_class)
        except Exception as exc:  # a broken plugin module becomes a problem naming it, not a traceback
            self.problems.add(
                loc,
                f"cannot import the config class {spec.config_class!r} of {spec.provider_type!r} "
                f"({type(exc).__name__}: {exc}); reinstall or fix plugin {spec.plugin!r}",
            )
            return None
        if not (isinstance(config_class, type) and issubclass(config_class, BaseModel)):
            self.problems.add(
                loc,
                f"config class {spec.config_class!r} of {spec.provider_type!r} is not a pydantic model; "
                f"fix plugin {spec.plugin!r}",
            )
            return None
        if isinstance(value, config_class):
            return value
        if not isinstance(value, Mapping):
            self.problems.add(loc, f"got {show_value(value)}", f"a mapping of {spec.provider_type} settings")
            return None
        ok, config = validate(config_class, value, self.problems, loc)
        return config if ok else None

    def _resources(
        self, written: Mapping[str, Any], raw: Mapping[str, Any]
    ) -> dict[str, list[ResourceEntry]]:
        found: dict[str, list[ResourceEntry]] = {}
        for section, entry_class in RESOURCE_SECTIONS.items():
            keys = [section, *(legacy for legacy, new in _LEGACY_SECTIONS.items() if new == section)]
            entries: list[ResourceEntry] = []
            seen: dict[str, Loc] = {}
            for key in keys:
                for index, item in enumerate(self._list(raw, key, f"{section} entries")):
                    loc: Loc = (key, index)
                    before = _at(written, loc)
                    if (
                        isinstance(item, Mapping)
                        and item.get("provider_id") == ""
                        and references_env(_at(before, ("provider_id",)))
                    ):
                        continue  # its provider is disabled
                    provider_id = item.get("provider_id") if isinstance(item, Mapping) else None
                    if isinstance(provider_id, str) and provider_id:
                        self._check_reference(entry_class.provider_api, provider_id, (*loc, "provider_id"))
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
            found[section] = entries
        return found

    def _check_reference(self, wanted: Api, provider_id: str, loc: Loc) -> None:
        candidates = [pid for pid, (api, _) in self.provider_ids.items() if api == wanted]
        declared = self.provider_ids.get(provider_id)
        if declared is None:
            problem = f"unknown provider_id {provider_id!r}"
        elif declared[0] != wanted:
            problem = f"provider {provider_id!r} serves API {declared[0].value!r}, not {wanted.value!r}"
        else:
            return
        expected = (
            one_of(candidates)
            if candidates
            else f"the id of a provider of API {wanted.value!r} (none are configured)"
        )
        self.problems.add(loc, problem, expected, closest(provider_id, candidates))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _at(tree: Any, loc: Loc) -> Any:
    """The value at ``loc`` in a plain data tree, or ``None``."""
    for part in loc:
        if isinstance(part, int) and isinstance(tree, list) and 0 <= part < len(tree):
            tree = tree[part]
        elif isinstance(part, str) and isinstance(tree, Mapping):
            tree = tree.get(part)
        else:
            return None
    return tree
