"""Finding a distribution file by path or by name in the folders plugins ship."""

from __future__ import annotations

from pathlib import Path

from llama_stack.plugins import PluginRegistry

from ._problems import ConfigError, ConfigProblem, closest, one_of

SUFFIX = ".yaml"


class DistributionNotFoundError(ConfigError):
    """Neither a file nor a known distribution name."""


def list_distributions(registry: PluginRegistry) -> dict[str, Path]:
    """Every ``<name>.yaml`` in the plugins' distribution folders; the first folder wins a name."""
    found: dict[str, Path] = {}
    for folder in registry.distribution_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            if path.is_file():
                found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


def find_distribution(name_or_path: str, registry: PluginRegistry) -> Path:
    """An existing file at ``name_or_path``, else the distribution of that name.

    Raises ``DistributionNotFoundError`` naming the available distributions.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    available = list_distributions(registry)
    name = name_or_path.removesuffix(SUFFIX)
    if name in available:
        return available[name]
    expected = (
        f"a YAML file or a distribution name, {one_of(available)}"
        if available
        else "a YAML file (no distributions are installed)"
    )
    problem = ConfigProblem(
        file=name_or_path,
        path="",
        problem="no such file or distribution",
        expected=expected,
        suggestion=closest(name, available),
    )
    raise DistributionNotFoundError([problem])
