"""Clients for a Llama Stack: typed HTTP clients (sync and async) and in-process library clients.

All four expose one attribute per API, typed from the contract, and raise the
contract's exceptions (``NotFoundError``, ``InvalidRequestError``, ...), one
class per HTTP status.
"""

from ._core import APIConnectionError
from ._http import AsyncLlamaStackClient, LlamaStackClient
from ._library import AsyncLlamaStackAsLibraryClient, LlamaStackAsLibraryClient
from ._streams import AsyncStream, Stream

__all__ = [
    "APIConnectionError",
    "AsyncLlamaStackAsLibraryClient",
    "AsyncLlamaStackClient",
    "AsyncStream",
    "LlamaStackAsLibraryClient",
    "LlamaStackClient",
    "Stream",
]
