"""`llama-stack doctor` and the loading step every distribution command shares."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config import StackConfig, find_distribution, load_stack_config
from ..plugins import PluginRegistry, discover, import_attribute
from ._errors import config_errors_exit
from ._table import render_table

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class Loaded:
    path: Path
    config: StackConfig
    registry: PluginRegistry


def load(ref: str, env_overrides: dict[str, str]) -> Loaded:
    """Find and validate a distribution; on problems print them all and exit 2."""
    path: Path | None = None
    with config_errors_exit():
        registry = discover()
        path = find_distribution(ref, registry)
    with config_errors_exit(path):
        config = load_stack_config(path, registry, {**os.environ, **env_overrides})
    return Loaded(path, config, registry)


def missing_requirements(requirements: tuple[str, ...]) -> list[str]:
    missing = []
    for requirement in requirements:
        match = _REQUIREMENT_NAME.match(requirement)
        if match is None:
            continue
        try:
            importlib.metadata.version(match.group(1))
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
    return missing


def check_wiring(loaded: Loaded) -> None:
    """Exit 2 naming every missing API dependency or dependency cycle, as ``run`` would at startup."""
    from ..resolver import Resolver
    from ..stack import provider_requests

    with config_errors_exit(loaded.path):
        Resolver(provider_requests(loaded.config), _unused_view).order()


def _unused_view(*_: object) -> None:
    return None  # ordering never asks for dependency views


def diagnose(ref: str, env_overrides: dict[str, str]) -> int:
    """Print a report; 0 when every provider can be imported and has its packages, else 1.

    Config and wiring problems (missing dependencies, cycles) exit 2 like ``run``.
    """
    loaded = load(ref, env_overrides)
    check_wiring(loaded)
    print(f"distribution {loaded.config.name!r}: {loaded.path}: config OK")
    rows = []
    healthy = True
    for api, entries in loaded.config.providers.items():
        for entry in entries:
            problems = []
            missing = missing_requirements(entry.spec.pip_packages)
            if missing:
                problems.append(f"missing packages: {' '.join(missing)} (pip install {shlex.join(missing)})")
            else:
                try:
                    import_attribute(entry.spec.factory)
                except Exception as exc:  # reported per provider; the doctor keeps going
                    problems.append(f"cannot import {entry.spec.factory}: {type(exc).__name__}: {exc}")
            healthy = healthy and not problems
            rows.append((api.value, entry.provider_id, entry.provider_type, "; ".join(problems) or "OK"))
    if rows:
        print(render_table(("API", "provider id", "provider type", "status"), rows))
    else:
        print("no providers enabled (the framework APIs still serve)")
    if not healthy:
        print("some providers cannot start; fix the problems above", file=sys.stderr)
    return 0 if healthy else 1
