"""The ``providers:`` section: each type looked up in the plugins, each config validated by its class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from llama_stack.plugins import PluginRegistry, import_attribute
from llama_stack_api import Api, ProviderSpec, api_spec

from ._env import is_disabled
from ._problems import Loc, Problems, closest, format_path, one_of
from ._schema import ProviderEntry
from ._validation import show_value, validate


def parse_api(value: Any, loc: Loc, problems: Problems) -> Api | None:
    """The API named ``value``, or ``None`` after adding a problem with the closest name."""
    if isinstance(value, str) and value in Api.__members__:
        return Api(value)
    names = [api.value for api in Api]
    suggestion = closest(value, names) if isinstance(value, str) else ""
    shown = repr(value) if isinstance(value, str) else show_value(value)
    problems.add(loc, f"unknown API {shown}", one_of(names), suggestion)
    return None


class ProviderChecks:
    """Validates provider entries and remembers their ids, for the resources that name them."""

    def __init__(self, problems: Problems, registry: PluginRegistry) -> None:
        self.problems = problems
        self.registry = registry
        # provider_id -> (api, where it is declared), including entries whose config failed
        self.provider_ids: dict[str, tuple[Api, Loc]] = {}

    def section(
        self, written: Mapping[str, Any], raw: Mapping[str, Any], apis: list[Api]
    ) -> dict[Api, list[ProviderEntry]]:
        """The enabled, valid providers of each API; ``written`` is the file before substitution."""
        section = raw.get("providers")
        if section is None:
            return {}
        if not isinstance(section, Mapping):
            self.problems.add(
                ("providers",), f"got {show_value(section)}", "a mapping of API name to a list of providers"
            )
            return {}
        listed_apis = raw.get("apis")
        listed = (
            {name for name in listed_apis if isinstance(name, str)}
            if isinstance(listed_apis, list)
            else set()
        )
        providers: dict[Api, list[ProviderEntry]] = {}
        for key, entries in section.items():
            loc: Loc = ("providers", str(key))
            api = parse_api(key, loc, self.problems)
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
                if is_disabled(written, item, (*loc, index)):
                    continue  # its id resolved empty: switched off
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

    def check_reference(self, wanted: Api, provider_id: str, loc: Loc) -> None:
        """A resource at ``loc`` names ``provider_id``: it must be a provider of API ``wanted``."""
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
