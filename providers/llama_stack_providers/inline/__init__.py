"""Providers that run inside the stack process."""
