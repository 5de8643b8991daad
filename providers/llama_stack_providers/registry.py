"""The built-in plugin: the provider specs and distributions this package ships."""

from __future__ import annotations

from pathlib import Path

from llama_stack_api import ProviderSpec, hookimpl


@hookimpl
def llama_stack_provider_specs() -> list[ProviderSpec]:
    return []


@hookimpl
def llama_stack_distribution_dirs() -> list[Path]:
    here = Path(__file__).parent
    # installed wheel: distributions/ is force-included beside this module;
    # editable checkout: it sits at the repository root.
    return [d for d in (here / "distributions", here.parent.parent / "distributions") if d.is_dir()]
