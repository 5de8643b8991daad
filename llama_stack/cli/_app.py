"""Command definitions; each command imports what it needs lazily so `--help` stays instant."""

from __future__ import annotations

import difflib
import os
import re
import sys
from typing import Annotated

import typer

from ._errors import CONFIG_EXIT_CODE, config_errors_exit
from ._model import model_app
from ._table import render_table

app = typer.Typer(
    name="llama-stack",
    help="Run and inspect Llama Stack distributions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(model_app)

ConfigArg = Annotated[
    str, typer.Argument(help="A distribution name (see list-distributions) or a YAML path.")
]


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            print(f"--env {pair!r}: expected KEY=VALUE", file=sys.stderr)
            raise typer.Exit(CONFIG_EXIT_CODE)
        env[key] = value
    return env


@app.command()
def run(
    config: ConfigArg,
    port: Annotated[int | None, typer.Option(help="Port (default: the YAML's server.port).")] = None,
    host: Annotated[str | None, typer.Option(help="Host (default: the YAML's server.host).")] = None,
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE for ${env.KEY}; repeatable.")
    ] = None,
) -> None:
    """Start a server for a distribution."""
    from ._serve import serve

    serve(config, port=port, host=host, env=_parse_env(env or []))


@app.command("list-apis")
def list_apis() -> None:
    """The APIs this version implements."""
    from llama_stack_api import api_spec, available_apis

    rows = []
    for api in available_apis():
        spec = api_spec(api)
        kind = (
            "framework"
            if spec.framework
            else (f"routed by {spec.routed_by.value}" if spec.routed_by else "provider")
        )
        rows.append((api.value, kind, spec.description))
    print(render_table(("API", "served by", "description"), rows))


@app.command("list-providers")
def list_providers(api: Annotated[str | None, typer.Argument(help="Only this API.")] = None) -> None:
    """Installed provider types (from every installed plugin)."""
    from llama_stack_api import Api

    from ..plugins import discover

    with config_errors_exit():
        registry = discover()
    selected: Api | None = None
    if api is not None:
        try:
            selected = Api(api)
        except ValueError:
            names = [a.value for a in Api]
            message = f"unknown API {api!r}; expected one of: {', '.join(names)}"
            close = difflib.get_close_matches(api, names, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            print(message, file=sys.stderr)
            raise typer.Exit(CONFIG_EXIT_CODE) from None
    rows = [
        (s.api.value, s.provider_type, s.plugin, s.description.split("\n")[0])
        for s in registry.specs_for(selected)
    ]
    print(render_table(("API", "provider type", "plugin", "description"), rows))


@app.command("list-distributions")
def list_distributions() -> None:
    """Distributions that installed plugins ship (runnable by name)."""
    from ..config import list_distributions as find_all
    from ..plugins import discover

    with config_errors_exit():
        registry = discover()
    rows = [(name, str(path)) for name, path in sorted(find_all(registry).items())]
    print(render_table(("name", "path"), rows))


@app.command("list-deps")
def list_deps(
    config: ConfigArg,
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE for ${env.KEY}; repeatable.")
    ] = None,
) -> None:
    """The pip requirements a distribution needs, one per line (`pip install $(llama-stack list-deps X)`)."""
    from ._doctor import load

    loaded = load(config, _parse_env(env or []))
    requirements = [
        requirement
        for entries in loaded.config.providers.values()
        for entry in entries
        for requirement in entry.spec.pip_packages
    ]
    for requirement in merged_requirements(requirements):
        print(requirement)


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*?)\s*$")


def merged_requirements(requirements: list[str]) -> list[str]:
    """One line per project: ``tiktoken`` and ``tiktoken>=0.7`` from two providers become ``tiktoken>=0.7``.

    Requirements with environment markers are kept as written (merging them would change their meaning).
    """
    merged: dict[str, tuple[str, str, list[str]]] = {}
    kept: list[str] = []
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if ";" in requirement or match is None:
            if requirement not in kept:
                kept.append(requirement)
            continue
        name, extras, specifier = match.group(1), match.group(2) or "", match.group(3)
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key not in merged:
            merged[key] = (name, extras, [])
            kept.append(key)
        specifiers = merged[key][2]
        for part in filter(None, (p.strip() for p in specifier.split(","))):
            if part not in specifiers:
                specifiers.append(part)
    lines = []
    for item in kept:
        if item in merged:
            name, extras, specifiers = merged[item]
            lines.append(f"{name}{extras}{','.join(specifiers)}")
        else:
            lines.append(item)
    return lines


@app.command()
def doctor(
    config: ConfigArg,
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE for ${env.KEY}; repeatable.")
    ] = None,
) -> None:
    """Validate a distribution and import its providers without serving; report what is missing."""
    from ._doctor import diagnose

    raise typer.Exit(diagnose(config, _parse_env(env or [])))


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app(prog_name="llama-stack")
