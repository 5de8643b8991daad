"""Conversations API (OpenAI-compatible): durable lists of Responses items that a response can continue.

A conversation holds items (messages, tool calls and their outputs) in the
order they were added. ``POST /v1/responses`` with ``conversation`` reads them
as context and appends its input and output; clients may also add, list and
delete items themselves. Items are the Responses input items
(``llama_stack_api.responses.ResponseInputItem``); each stored item has an id
(``msg_...``, ``fc_...``, ...) and a status, and a stored message's content is
always a list of parts.
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol, TypeAlias, runtime_checkable

from pydantic import BaseModel, Field, StringConstraints

from ._routes import webmethod
from .apis import Api, ApiSpec
from .responses import ResponseInputItem

MAX_METADATA_PAIRS = 16
MAX_ITEMS_PER_REQUEST = 20
MAX_LIST_LIMIT = 100

ConversationItem: TypeAlias = ResponseInputItem
"""An item of a conversation: a message or a tool event."""

ConversationMetadata: TypeAlias = Annotated[
    dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, StringConstraints(max_length=512)]],
    Field(max_length=MAX_METADATA_PAIRS),
]
"""Up to 16 pairs; keys up to 64 characters, values up to 512 (OpenAI's limits)."""


class Conversation(BaseModel):
    """A conversation (OpenAI's ``conversation`` object); its items are listed separately."""

    id: str
    object: Literal["conversation"] = "conversation"
    created_at: int
    metadata: dict[str, str] = Field(default_factory=dict)


class ConversationDeletedResource(BaseModel):
    id: str
    object: Literal["conversation.deleted"] = "conversation.deleted"
    deleted: bool = True


class ConversationItemList(BaseModel):
    """A page of a conversation's items; ``after=last_id`` asks for the next one."""

    object: Literal["list"] = "list"
    data: list[ConversationItem]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


@runtime_checkable
class Conversations(Protocol):
    """Keep conversations: ordered, durable lists of Responses items."""

    @webmethod("POST", "/v1/conversations", openai=True, summary="Create a conversation.")
    async def create_conversation(
        self,
        items: Annotated[list[ConversationItem], Field(max_length=MAX_ITEMS_PER_REQUEST)] | None = None,
        metadata: ConversationMetadata | None = None,
    ) -> Conversation:
        """Create a conversation, with up to 20 initial items.

        Raises ``InvalidRequestError`` for more than 20 items, metadata over
        OpenAI's limits, or an item whose ``id`` repeats another's.
        """
        ...

    @webmethod("GET", "/v1/conversations/{conversation_id}", openai=True, summary="Get a conversation.")
    async def get_conversation(self, conversation_id: str) -> Conversation:
        """Raises ``NotFoundError`` when there is no such conversation."""
        ...

    @webmethod(
        "POST",
        "/v1/conversations/{conversation_id}",
        openai=True,
        summary="Replace a conversation's metadata.",
    )
    async def update_conversation(
        self, conversation_id: str, metadata: ConversationMetadata | None
    ) -> Conversation:
        """Replace the metadata (``null`` clears it).

        Raises ``NotFoundError`` for an unknown conversation and
        ``InvalidRequestError`` for metadata over OpenAI's limits.
        """
        ...

    @webmethod("DELETE", "/v1/conversations/{conversation_id}", openai=True, summary="Delete a conversation.")
    async def delete_conversation(self, conversation_id: str) -> ConversationDeletedResource:
        """Delete the conversation and all its items.

        Raises ``NotFoundError`` when there is no such conversation.
        """
        ...

    @webmethod(
        "POST",
        "/v1/conversations/{conversation_id}/items",
        openai=True,
        summary="Add items to a conversation.",
    )
    async def add_items(
        self,
        conversation_id: str,
        items: Annotated[list[ConversationItem], Field(max_length=MAX_ITEMS_PER_REQUEST)],
    ) -> ConversationItemList:
        """Append up to 20 items, all or none; answers with the stored items (ids filled in), oldest first.

        Raises ``NotFoundError`` for an unknown conversation and
        ``InvalidRequestError`` for no items, more than 20, or an ``id`` that
        repeats another item's.
        """
        ...

    @webmethod(
        "GET",
        "/v1/conversations/{conversation_id}/items",
        openai=True,
        summary="List a conversation's items.",
    )
    async def list_items(
        self,
        conversation_id: str,
        after: str | None = None,
        include: list[str] | None = None,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
    ) -> ConversationItemList:
        """A page of items, newest first unless ``order=asc``; ``after`` is the last id of the previous page.

        ``include`` is accepted for compatibility: stored items always carry
        everything they have. Raises ``NotFoundError`` for an unknown
        conversation and ``InvalidRequestError`` when ``limit`` is out of
        1..100 or ``after`` names no item of the conversation.
        """
        ...

    @webmethod(
        "GET",
        "/v1/conversations/{conversation_id}/items/{item_id}",
        openai=True,
        summary="Get one item of a conversation.",
    )
    async def get_item(
        self, conversation_id: str, item_id: str, include: list[str] | None = None
    ) -> ConversationItem:
        """Raises ``NotFoundError`` when the conversation or the item does not exist."""
        ...

    @webmethod(
        "DELETE",
        "/v1/conversations/{conversation_id}/items/{item_id}",
        openai=True,
        summary="Delete one item of a conversation.",
    )
    async def delete_item(self, conversation_id: str, item_id: str) -> Conversation:
        """Delete the item; answers with the conversation, as OpenAI does.

        Raises ``NotFoundError`` when the conversation or the item does not exist.
        """
        ...


API_SPEC = ApiSpec(
    api=Api.conversations,
    protocol=Conversations,
    description="Conversations (OpenAI-compatible): durable, ordered lists of Responses items",
)
