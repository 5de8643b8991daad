"""The built-in plugin: every provider under inline/ and remote/, and the distributions this package ships.

Each provider is a folder ``<inline|remote>/<api>/<name>/`` whose ``spec.py``
defines ``PROVIDER_SPECS: list[ProviderSpec]``. Adding a provider is adding a
folder; this module never changes. ``spec.py`` must stay cheap to import (no
torch, no engines): the specs point at the modules that do the work.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from llama_stack_api import ProviderSpec, hookimpl

_HERE = Path(__file__).parent


@hookimpl
def llama_stack_provider_specs() -> list[ProviderSpec]:
    specs: list[ProviderSpec] = []
    for spec_file in sorted(_HERE.glob("*/*/*/spec.py")):
        kind, api, name = spec_file.parent.relative_to(_HERE).parts
        if kind not in ("inline", "remote"):
            continue
        module = importlib.import_module(f"{__package__}.{kind}.{api}.{name}.spec")
        specs.extend(module.PROVIDER_SPECS)
    return specs


@hookimpl
def llama_stack_distribution_dirs() -> list[Path]:
    # installed wheel: distributions/ is force-included beside this module;
    # editable checkout: it sits at the repository root.
    return [d for d in (_HERE / "distributions", _HERE.parent.parent / "distributions") if d.is_dir()]
