"""The HTTP server: an ASGI app generated from the contract, served by uvicorn."""

from .app import app_summary, create_app

__all__ = ["app_summary", "create_app"]
