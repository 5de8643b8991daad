"""The HTTP server: an ASGI app generated from the contract, served by uvicorn."""

from ._loop import event_loop_factory
from .app import app_summary, create_app

__all__ = ["app_summary", "create_app", "event_loop_factory"]
