"""Stored responses in the provider's kv store: the response, its input items, and the conversation so far.

Keys: ``response:{created_ns}:{id}`` (ordered by creation) holds a
``ResponseRecord``; ``response-key:{id}`` says where. ``messages`` is the
whole chat transcript up to and including this response (without the
instructions, which OpenAI does not carry over), so ``previous_response_id``
chains without re-reading earlier records.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from llama_stack_api import NotFoundError
from llama_stack_api.plugins import KeyValueStore
from llama_stack_api.responses import Response, ResponseInputItem


class PendingApproval(BaseModel):
    """An MCP call waiting for the user's approval (the server is looked up in the next request's tools)."""

    call_id: str
    name: str
    arguments: dict[str, Any] | str
    arguments_json: str
    server_label: str


class ResponseRecord(BaseModel):
    response: Response
    input_items: list[ResponseInputItem]
    messages: list[dict[str, Any]]
    approvals: dict[str, PendingApproval] = Field(default_factory=dict)
    created_ns: int = Field(default_factory=time.time_ns)


class ResponseStore:
    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv

    async def put(self, record: ResponseRecord) -> None:
        key = f"response:{record.created_ns:020d}:{record.response.id}"
        await self.kv.set(key, record.model_dump_json())
        await self.kv.set(f"response-key:{record.response.id}", key)

    async def get(self, response_id: str) -> ResponseRecord:
        key = await self.kv.get(f"response-key:{response_id}")
        raw = await self.kv.get(key) if key is not None else None
        if raw is None:
            raise NotFoundError(f"response {response_id!r} does not exist (or was created with store=false)")
        return ResponseRecord.model_validate_json(raw)

    async def delete(self, response_id: str) -> None:
        key = await self.kv.get(f"response-key:{response_id}")
        if key is None:
            raise NotFoundError(f"response {response_id!r} does not exist")
        await self.kv.delete(key)
        await self.kv.delete(f"response-key:{response_id}")

    async def all(self) -> list[ResponseRecord]:
        """Every stored response, oldest first."""
        return [
            ResponseRecord.model_validate_json(v) for _, v in await self.kv.items_with_prefix("response:")
        ]
