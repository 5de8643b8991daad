"""The ``llama-stack`` command line: run, inspect and check distributions."""

from ._app import app, main

__all__ = ["app", "main"]
