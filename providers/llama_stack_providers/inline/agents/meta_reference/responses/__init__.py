"""The OpenAI Responses API over the agent loop: items in and out, hosted tools, stream events, records."""

from .service import ResponsesService

__all__ = ["ResponsesService"]
