"""Tool runtimes that run inside the stack process."""
