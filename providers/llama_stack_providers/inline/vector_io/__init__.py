"""Vector-io providers that run inside the stack process."""
