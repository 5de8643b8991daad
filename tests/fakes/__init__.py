"""Deterministic fake providers, usable by any test (register with `plugin` or LLAMA_STACK_PLUGINS)."""
