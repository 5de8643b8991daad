"""Tool runtimes that call a service over the network."""
