"""Reusable test support: a real uvicorn server serving a stack built from a test's YAML."""
