"""Vector-io providers backed by an external database."""
