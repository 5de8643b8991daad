"""Providers that call a service over the network (an engine's HTTP API)."""
