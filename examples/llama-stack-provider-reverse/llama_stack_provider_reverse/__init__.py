"""Example third-party provider plugin for Llama Stack (see README.md)."""
