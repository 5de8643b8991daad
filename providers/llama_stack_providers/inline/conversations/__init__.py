"""Conversations providers that run inside the stack process."""
