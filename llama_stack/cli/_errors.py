"""How the CLI reports a distribution it cannot load: every problem, exit code 2, no traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

CONFIG_EXIT_CODE = 2


@contextmanager
def config_errors_exit(path: Path | None = None) -> Iterator[None]:
    """Print config, plugin and wiring problems as ``file: path: problem; expected`` and exit 2."""
    # imported here, not at the top: `llama-stack --help` should not pay for pydantic and the contract
    from ..config import ConfigError
    from ..plugins import PluginError
    from ..resolver import ProviderStartupError, ResolutionError

    try:
        yield
    except ConfigError as exc:
        print(exc.format(), file=sys.stderr)
        raise typer.Exit(CONFIG_EXIT_CODE) from None
    except ResolutionError as exc:
        prefix = f"{path}: " if path else ""
        for problem in exc.problems:
            line = f"{prefix}{problem.path}: {problem.problem}"
            if problem.expected:
                line += f"; expected {problem.expected}"
            print(line, file=sys.stderr)
        raise typer.Exit(CONFIG_EXIT_CODE) from None
    except PluginError as exc:
        print(f"plugin error: {exc}", file=sys.stderr)
        raise typer.Exit(CONFIG_EXIT_CODE) from None
    except ProviderStartupError as exc:
        # the config was valid; the provider's engine, files or network were not: exit 1, like a busy port
        prefix = f"{path}: " if path else ""
        print(f"{prefix}{exc}", file=sys.stderr)
        raise typer.Exit(1) from None
