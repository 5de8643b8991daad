"""Plugin discovery: every provider and distribution comes in through the ``llama_stack`` entry points."""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pluggy

from llama_stack_api import Api, ProviderSpec
from llama_stack_api.plugins import ENTRY_POINT_GROUP, PROJECT_NAME, LlamaStackHooks


class PluginError(Exception):
    """A plugin is broken: its hook raised, or returned something that is not a spec."""


@dataclass
class PluginRegistry:
    """The provider specs and distribution folders every installed plugin offers."""

    specs: dict[tuple[Api, str], ProviderSpec] = field(default_factory=dict)
    distribution_dirs: list[Path] = field(default_factory=list)
    plugin_names: list[str] = field(default_factory=list)

    def get(self, api: Api, provider_type: str) -> ProviderSpec | None:
        return self.specs.get((api, provider_type))

    def provider_types(self, api: Api) -> list[str]:
        return sorted(t for (a, t) in self.specs if a == api)

    def specs_for(self, api: Api | None = None) -> list[ProviderSpec]:
        found = [s for (a, _), s in self.specs.items() if api is None or a == api]
        return sorted(found, key=lambda s: (s.api.value, s.provider_type))

    def unknown_provider_message(self, api: Api, provider_type: str) -> str:
        """'X is either misspelled or not installed', with what is installed and a suggestion."""
        installed = self.provider_types(api)
        message = (
            f"provider type {provider_type!r} for API {api.value!r} is either misspelled or not installed"
        )
        message += f"; installed: {', '.join(installed) if installed else 'none'}"
        close = difflib.get_close_matches(provider_type, installed, n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        return message

    def add(self, spec: ProviderSpec, plugin: str) -> None:
        key = (spec.api, spec.provider_type)
        existing = self.specs.get(key)
        if existing is not None and existing.plugin != plugin:
            raise PluginError(
                f"provider {spec.provider_type!r} for API {spec.api.value!r} is offered by two plugins: "
                f"{existing.plugin!r} and {plugin!r}; uninstall one"
            )
        self.specs[key] = replace(spec, plugin=plugin)


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(LlamaStackHooks)
    return manager


PLUGINS_ENV = "LLAMA_STACK_PLUGINS"
DISABLE_AUTOLOAD_ENV = "LLAMA_STACK_DISABLE_PLUGIN_AUTOLOAD"


def discover(extra_plugins: list[Any] | None = None, *, autoload: bool | None = None) -> PluginRegistry:
    """Load plugins from entry points plus ``extra_plugins`` and the modules named in ``$LLAMA_STACK_PLUGINS``.

    ``extra_plugins`` are modules or objects with ``@hookimpl`` functions; tests
    use them to register fakes exactly as an installed plugin would.
    ``$LLAMA_STACK_PLUGINS`` (comma-separated module names) does the same from
    the environment, and ``$LLAMA_STACK_DISABLE_PLUGIN_AUTOLOAD=1`` switches
    entry-point loading off so that only named plugins load (as in pytest).
    """
    if autoload is None:
        autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "") in ("", "0")
    named = [m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()]
    extra_plugins = list(extra_plugins or [])
    for module_name in named:
        try:
            extra_plugins.append(importlib.import_module(module_name))
        except ImportError as exc:
            raise PluginError(
                f"{PLUGINS_ENV} names {module_name!r}, which cannot be imported: {exc}"
            ) from exc
    manager = new_plugin_manager()
    if autoload:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                plugin = entry_point.load()
            except Exception as exc:  # a broken third-party plugin must not take the stack down silently
                raise PluginError(
                    f"plugin {entry_point.name!r} ({entry_point.value}) failed to import: {exc}"
                ) from exc
            dist = entry_point.dist.name if entry_point.dist else entry_point.name
            manager.register(plugin, name=f"{dist}:{entry_point.name}")
    for index, plugin in enumerate(extra_plugins or []):
        manager.register(plugin, name=getattr(plugin, "__name__", f"extra-{index}"))

    registry = PluginRegistry()
    for impl in manager.hook.llama_stack_provider_specs.get_hookimpls():
        name = impl.plugin_name
        specs = impl.function()
        if not isinstance(specs, list) or not all(isinstance(s, ProviderSpec) for s in specs):
            raise PluginError(
                f"plugin {name!r}: hook llama_stack_provider_specs must return list[ProviderSpec], "
                f"got {type(specs).__name__}"
            )
        registry.plugin_names.append(name)
        for spec in specs:
            registry.add(spec, name)
    for impl in manager.hook.llama_stack_distribution_dirs.get_hookimpls():
        dirs = impl.function()
        if not isinstance(dirs, list):
            raise PluginError(
                f"plugin {impl.plugin_name!r}: hook llama_stack_distribution_dirs must return a list"
            )
        registry.distribution_dirs.extend(Path(d) for d in dirs)
    return registry


def import_attribute(path: str) -> Any:
    """Import ``"module:attribute"``."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError as exc:
        raise ImportError(f"{module_name} has no attribute {attribute!r}") from exc
