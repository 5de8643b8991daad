"""The Llama Stack framework: config, plugins, resolver, registry, routers, storage, server, clients, CLI."""

__version__ = "0.1.0"
