"""``inline::builtin``: conversations and their items as records in the distribution's kv store.

Layout (in this provider's own namespace)::

    conversation:<cid>             {"conversation": {...}, "committed": N}
    item:<cid>:<seq, 12 digits>    a stored item; seq orders items, and the zero padding makes
                                   key order equal seq order
    item-id:<cid>:<item id>        <seq>, to find an item by id without reading the others
    incomplete:<cid>               a create or delete in progress; startup finishes removing it

The kv store has no transactions, so several writes are made all-or-nothing
by a commit counter: readers see only items whose seq is below the record's
``committed``. An append writes its items (and their id entries) first and
bumps ``committed`` last, in one ``set`` of the record; a crash in between
leaves items above the counter that nobody reads and the next append
overwrites. Writers are serialized by a lock in this process; the store
offers no compare-and-set, so two server processes appending to the same
conversation at the same instant could still collide.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from llama_stack_api import InvalidRequestError, KeyValueStore, NotFoundError, ProviderContext
from llama_stack_api.conversations import (
    MAX_ITEMS_PER_REQUEST,
    MAX_LIST_LIMIT,
    MAX_METADATA_PAIRS,
    Conversation,
    ConversationDeletedResource,
    ConversationItem,
    ConversationItemList,
)
from llama_stack_api.responses import ResponseOutputItem

from ._items import ITEM, item_id, stored_form
from .config import BuiltinConversationsConfig

logger = logging.getLogger(__name__)

_SEQ_DIGITS = 12
# above every digit, so `item:<cid>:` + this closes a range over all of a conversation's items
_AFTER_DIGITS = "~"


class _Record(BaseModel):
    conversation: Conversation
    committed: int = 0


class BuiltinConversations:
    """Implements ``Conversations``, plus two methods for the Responses engine (not routes).

    - ``await append_items(conversation_id, items)`` appends input or output
      items (no 20-item limit) all or none, and returns their stored form:
      ids filled in (``msg_...``, ``fc_...``), statuses ``completed``, message
      text as content parts. Raises ``NotFoundError`` for an unknown
      conversation and ``InvalidRequestError`` for an id already in it.
    - ``await all_items(conversation_id)`` returns every item, oldest first.
    """

    def __init__(self, config: BuiltinConversationsConfig, context: ProviderContext) -> None:
        self.config = config
        self.provider_id = context.provider_id
        self.kv: KeyValueStore = context.kvstore
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        for key, _ in await self.kv.items_with_prefix("incomplete:"):
            conversation_id = key.removeprefix("incomplete:")
            logger.info("%s: removing conversation %s, left half-written", self.provider_id, conversation_id)
            await self._remove(conversation_id)

    async def shutdown(self) -> None:
        return None

    # --- conversations -----------------------------------------------------------------------

    async def create_conversation(
        self, items: list[ConversationItem] | None = None, metadata: dict[str, str] | None = None
    ) -> Conversation:
        _check_item_count(items or [])
        conversation = Conversation(
            id=f"conv_{uuid.uuid4().hex}", created_at=int(time.time()), metadata=_checked(metadata)
        )
        stored = _stored_batch(items or [])
        async with self._lock:
            # marked first: a crash before the record is written leaves items that startup removes
            await self.kv.set(_incomplete_key(conversation.id), "")
            await self._write_items(conversation.id, 0, stored)
            await self._save(_Record(conversation=conversation, committed=len(stored)))
            await self.kv.delete(_incomplete_key(conversation.id))
        return conversation

    async def get_conversation(self, conversation_id: str) -> Conversation:
        return (await self._load(conversation_id)).conversation

    async def update_conversation(
        self, conversation_id: str, metadata: dict[str, str] | None
    ) -> Conversation:
        checked = _checked(metadata)
        async with self._lock:
            record = await self._load(conversation_id)
            record.conversation = record.conversation.model_copy(update={"metadata": checked})
            await self._save(record)
        return record.conversation

    async def delete_conversation(self, conversation_id: str) -> ConversationDeletedResource:
        async with self._lock:
            await self._load(conversation_id)
            await self.kv.set(_incomplete_key(conversation_id), "")
            await self._remove(conversation_id)
        return ConversationDeletedResource(id=conversation_id)

    # --- items -------------------------------------------------------------------------------

    async def add_items(self, conversation_id: str, items: list[ConversationItem]) -> ConversationItemList:
        if not items:
            raise InvalidRequestError("`items` is empty; send 1 to 20 items", param="items")
        _check_item_count(items)
        stored = await self.append_items(conversation_id, items)
        return _page(stored, has_more=False)

    async def list_items(
        self,
        conversation_id: str,
        after: str | None = None,
        include: list[str] | None = None,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
    ) -> ConversationItemList:
        limit = 20 if limit is None else limit
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidRequestError(
                f"`limit` must be between 1 and {MAX_LIST_LIMIT}; got {limit}", param="limit"
            )
        # every item is read and parsed: fine for conversations of thousands of items, which is
        # what a model's context can hold anyway
        items = await self.all_items(conversation_id)
        if (order or "desc") == "desc":
            items.reverse()
        if after is not None:
            ids = [item_id(item) for item in items]
            if after not in ids:
                raise InvalidRequestError(
                    f"`after`: conversation {conversation_id!r} has no item {after!r}", param="after"
                )
            items = items[ids.index(after) + 1 :]
        return _page(items[:limit], has_more=len(items) > limit)

    async def get_item(
        self, conversation_id: str, item_id: str, include: list[str] | None = None
    ) -> ConversationItem:
        record = await self._load(conversation_id)
        found = await self._find(record, item_id)
        if found is None:
            raise _item_not_found(conversation_id, item_id)
        return found[1]

    async def delete_item(self, conversation_id: str, item_id: str) -> Conversation:
        async with self._lock:
            record = await self._load(conversation_id)
            found = await self._find(record, item_id)
            if found is None:
                raise _item_not_found(conversation_id, item_id)
            # the item first: an id entry left by a crash points at nothing and reads as not found
            await self.kv.delete(_item_key(conversation_id, found[0]))
            await self.kv.delete(_id_key(conversation_id, item_id))
        return record.conversation

    # --- for the Responses engine (plain methods, not routes) --------------------------------

    async def append_items(
        self, conversation_id: str, items: Sequence[ConversationItem | ResponseOutputItem]
    ) -> list[ConversationItem]:
        """Append ``items`` all or none; returns their stored form (see the class docstring)."""
        stored = _stored_batch(items)
        async with self._lock:
            record = await self._load(conversation_id)
            for item in stored:
                if await self._find(record, item_id(item)) is not None:
                    raise InvalidRequestError(
                        f"conversation {conversation_id!r} already has an item {item_id(item)!r}; "
                        "omit `id` to have a new one assigned",
                        param="items",
                        code="duplicate_item_id",
                    )
            await self._clear_uncommitted(record)
            await self._write_items(conversation_id, record.committed, stored)
            record.committed += len(stored)
            await self._save(record)  # the commit: until here, readers see none of the new items
        return stored

    async def all_items(self, conversation_id: str) -> list[ConversationItem]:
        """Every item of the conversation, oldest first. Raises ``NotFoundError`` for an unknown one."""
        record = await self._load(conversation_id)
        if record.committed == 0:
            return []
        values = await self.kv.values_in_range(
            _item_key(conversation_id, 0), _item_key(conversation_id, record.committed - 1)
        )
        return [ITEM.validate_json(value) for value in values]

    # --- internals ---------------------------------------------------------------------------

    async def _load(self, conversation_id: str) -> _Record:
        raw = await self.kv.get(_record_key(conversation_id))
        if raw is None:
            raise NotFoundError(
                f"conversation {conversation_id!r} does not exist; create one with POST /v1/conversations",
                param="conversation_id",
                code="conversation_not_found",
            )
        return _Record.model_validate_json(raw)

    async def _save(self, record: _Record) -> None:
        await self.kv.set(_record_key(record.conversation.id), record.model_dump_json())

    async def _find(self, record: _Record, wanted: str) -> tuple[int, ConversationItem] | None:
        """The committed, live item ``wanted`` with its seq, or None.

        An id entry may be stale (its item deleted, or written by an append
        that never committed and whose seq now holds another item), so the
        item it points at must exist, be committed and carry the same id.
        """
        conversation_id = record.conversation.id
        seq = await self.kv.get(_id_key(conversation_id, wanted))
        if seq is None or int(seq) >= record.committed:
            return None
        raw = await self.kv.get(_item_key(conversation_id, int(seq)))
        if raw is None:
            return None
        item = ITEM.validate_json(raw)
        return (int(seq), item) if item.id == wanted else None

    async def _write_items(self, conversation_id: str, first_seq: int, items: list[ConversationItem]) -> None:
        for seq, item in enumerate(items, start=first_seq):
            await self.kv.set(_item_key(conversation_id, seq), item.model_dump_json(by_alias=True))
            await self.kv.set(_id_key(conversation_id, item_id(item)), str(seq))

    async def _clear_uncommitted(self, record: _Record) -> None:
        """Remove what an interrupted append left above the counter (usually nothing)."""
        conversation_id = record.conversation.id
        start = _item_key(conversation_id, record.committed)
        end = f"item:{conversation_id}:{_AFTER_DIGITS}"
        for key in await self.kv.keys_in_range(start, end):
            raw = await self.kv.get(key)
            if raw is not None:
                id_key = _id_key(conversation_id, item_id(ITEM.validate_json(raw)))
                if await self.kv.get(id_key) == str(int(key.rsplit(":", 1)[1])):  # its own entry only
                    await self.kv.delete(id_key)
            await self.kv.delete(key)

    async def _remove(self, conversation_id: str) -> None:
        """Delete the record, then the items and id entries, then the ``incomplete`` mark."""
        await self.kv.delete(_record_key(conversation_id))
        for prefix in (f"item:{conversation_id}:", f"item-id:{conversation_id}:"):
            for key, _ in await self.kv.items_with_prefix(prefix):
                await self.kv.delete(key)
        await self.kv.delete(_incomplete_key(conversation_id))


def _record_key(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def _item_key(conversation_id: str, seq: int) -> str:
    return f"item:{conversation_id}:{seq:0{_SEQ_DIGITS}d}"


def _id_key(conversation_id: str, item_id: str) -> str:
    return f"item-id:{conversation_id}:{item_id}"


def _incomplete_key(conversation_id: str) -> str:
    return f"incomplete:{conversation_id}"


def _stored_batch(items: Sequence[ConversationItem | ResponseOutputItem]) -> list[ConversationItem]:
    stored = [stored_form(item) for item in items]
    seen: set[str] = set()
    for item in stored:
        if item_id(item) in seen:
            raise InvalidRequestError(
                f"item id {item_id(item)!r} appears twice in one request; ids must be unique",
                param="items",
                code="duplicate_item_id",
            )
        seen.add(item_id(item))
    return stored


def _check_item_count(items: Sequence[Any]) -> None:
    if len(items) > MAX_ITEMS_PER_REQUEST:
        raise InvalidRequestError(
            f"{len(items)} items in one request; add at most {MAX_ITEMS_PER_REQUEST} at a time",
            param="items",
        )


def _checked(metadata: dict[str, str] | None) -> dict[str, str]:
    """OpenAI's metadata limits, for Python callers the HTTP validation does not cover."""
    metadata = dict(metadata or {})
    if len(metadata) > MAX_METADATA_PAIRS:
        raise InvalidRequestError(
            f"metadata has {len(metadata)} pairs; at most {MAX_METADATA_PAIRS} are allowed", param="metadata"
        )
    for key, value in metadata.items():
        if len(key) > 64 or len(value) > 512:
            raise InvalidRequestError(
                f"metadata {key[:64]!r}: keys may have 64 characters and values 512", param="metadata"
            )
    return metadata


def _page(items: list[ConversationItem], *, has_more: bool) -> ConversationItemList:
    return ConversationItemList(
        data=items,
        first_id=item_id(items[0]) if items else None,
        last_id=item_id(items[-1]) if items else None,
        has_more=has_more,
    )


def _item_not_found(conversation_id: str, wanted: str) -> NotFoundError:
    return NotFoundError(
        f"conversation {conversation_id!r} has no item {wanted!r}", param="item_id", code="item_not_found"
    )


async def create(
    config: BuiltinConversationsConfig, deps: dict[Any, Any], context: ProviderContext
) -> BuiltinConversations:
    return BuiltinConversations(config, context)
