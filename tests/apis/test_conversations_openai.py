"""Conversations through the openai SDK against a real server (inline::builtin on the distribution's SQLite).

The last section drives the provider's Python methods (the ones the Responses
engine calls) directly, over the same kind of store, including what a crash
between writes leaves behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.conversations import Message

from llama_stack.storage import KVStore, ProviderKVStore, SqliteKVStoreConfig, kvstore_from_config
from llama_stack_api import InvalidRequestError, NotFoundError, ProviderContext
from llama_stack_api.conversations import ConversationItem
from llama_stack_api.responses import (
    ResponseFunctionToolCall,
    ResponseInputText,
    ResponseMessage,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseOutputText,
)
from llama_stack_providers.inline.conversations.builtin.config import BuiltinConversationsConfig
from llama_stack_providers.inline.conversations.builtin.provider import BuiltinConversations, create
from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: conversations
apis: [conversations]
providers:
  conversations:
    - provider_id: builtin
      provider_type: inline::builtin
      config: {}
"""


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as sdk:
        yield sdk


def _texts(items: Sequence[object]) -> list[str]:
    """The text of each message item, in order (other items are skipped)."""
    texts: list[str] = []
    for item in items:
        if isinstance(item, Message):
            part = item.content[0]
            assert part.type in ("input_text", "output_text")
            texts.append(part.text)
    return texts


def _numbered(client: OpenAI, count: int) -> str:
    conversation = client.conversations.create()
    client.conversations.items.create(
        conversation.id, items=[{"role": "user", "content": f"m{i}"} for i in range(count)]
    )
    return conversation.id


# --- conversations -------------------------------------------------------------------------------


def test_create_retrieve_update_delete(client: OpenAI) -> None:
    created = client.conversations.create(
        items=[
            {"role": "system", "content": "be brief"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": '{"city":"Oslo"}'},
            {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 3}'},
            {"role": "assistant", "content": "3 degrees"},
        ],
        metadata={"topic": "weather"},
    )
    assert created.id.startswith("conv_") and created.object == "conversation"
    assert created.metadata == {"topic": "weather"} and created.created_at > 0

    fetched = client.conversations.retrieve(created.id)
    assert fetched.model_dump() == created.model_dump()

    updated = client.conversations.update(created.id, metadata={"topic": "snow", "lang": "no"})
    assert updated.metadata == {"topic": "snow", "lang": "no"}
    assert client.conversations.retrieve(created.id).metadata == {"topic": "snow", "lang": "no"}

    items = list(client.conversations.items.list(created.id, order="asc"))
    assert [item.type for item in items] == [
        "message",
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]
    # stored items carry ids with OpenAI's prefixes, statuses, and messages as content parts
    assert str(items[0].id).startswith("msg_") and str(items[2].id).startswith("fc_")
    assert all(getattr(item, "status", "completed") == "completed" for item in items)
    assert _texts(items) == ["be brief", "weather?", "3 degrees"]
    assert isinstance(items[4], Message) and items[4].content[0].type == "output_text"

    deleted = client.conversations.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "conversation.deleted")
    with pytest.raises(openai.NotFoundError, match=created.id):
        client.conversations.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(created.id)


def test_created_empty_and_metadata_cleared(client: OpenAI) -> None:
    conversation = client.conversations.create()
    assert conversation.metadata == {}
    page = client.conversations.items.list(conversation.id)
    assert (page.data, page.has_more, page.last_id) == ([], False, None)
    assert client.conversations.update(conversation.id, metadata=None).metadata == {}


def test_routes_also_mounted_for_older_clients(server: ServedStack) -> None:
    with OpenAI(base_url=f"{server.base_url}/v1/openai/v1", api_key="x", max_retries=0) as old:
        conversation = old.conversations.create(items=[{"role": "user", "content": "hello"}])
        assert _texts(list(old.conversations.items.list(conversation.id))) == ["hello"]


# --- items ---------------------------------------------------------------------------------------


def test_items_are_added_in_order_and_listed_newest_first(client: OpenAI) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": "first"}])
    added = client.conversations.items.create(
        conversation.id,
        items=[{"role": "assistant", "content": "second"}, {"role": "user", "content": "third"}],
    )
    assert _texts(added.data) == ["second", "third"]
    assert added.first_id == added.data[0].id and added.last_id == added.data[1].id

    newest_first = client.conversations.items.list(conversation.id)
    assert _texts(newest_first.data) == ["third", "second", "first"]
    assert not newest_first.has_more
    oldest_first = client.conversations.items.list(conversation.id, order="asc")
    assert _texts(oldest_first.data) == ["first", "second", "third"]


def test_pagination_with_after_and_limit(client: OpenAI) -> None:
    conversation_id = _numbered(client, 5)

    first = client.conversations.items.list(conversation_id, order="asc", limit=2)
    assert _texts(first.data) == ["m0", "m1"] and first.has_more
    second = client.conversations.items.list(conversation_id, order="asc", limit=2, after=str(first.last_id))
    assert _texts(second.data) == ["m2", "m3"] and second.has_more
    third = client.conversations.items.list(conversation_id, order="asc", limit=2, after=str(second.last_id))
    assert _texts(third.data) == ["m4"] and not third.has_more

    # the SDK's auto-pagination follows last_id until has_more is false
    assert _texts(list(client.conversations.items.list(conversation_id, limit=2))) == [
        "m4",
        "m3",
        "m2",
        "m1",
        "m0",
    ]
    last_page = client.conversations.items.list(conversation_id, limit=3, after=str(first.data[1].id))
    assert _texts(last_page.data) == ["m0"] and not last_page.has_more


def test_retrieve_and_delete_one_item(client: OpenAI) -> None:
    conversation_id = _numbered(client, 3)
    items = client.conversations.items.list(conversation_id, order="asc").data
    middle = str(items[1].id)

    item = client.conversations.items.retrieve(middle, conversation_id=conversation_id)
    assert isinstance(item, Message) and item.id == middle and _texts([item]) == ["m1"]

    answer = client.conversations.items.delete(middle, conversation_id=conversation_id)
    assert answer.id == conversation_id and answer.object == "conversation"
    assert _texts(client.conversations.items.list(conversation_id, order="asc").data) == ["m0", "m2"]
    with pytest.raises(openai.NotFoundError, match=middle):
        client.conversations.items.retrieve(middle, conversation_id=conversation_id)
    with pytest.raises(openai.NotFoundError, match=middle):
        client.conversations.items.delete(middle, conversation_id=conversation_id)


def test_client_given_ids_are_kept_and_must_be_unique(client: OpenAI) -> None:
    mine: list[Any] = [{"type": "message", "id": "msg_mine", "role": "user", "content": "hi"}]
    conversation = client.conversations.create(items=mine)
    assert client.conversations.items.retrieve("msg_mine", conversation_id=conversation.id).id == "msg_mine"
    with pytest.raises(openai.BadRequestError, match="msg_mine") as again:
        client.conversations.items.create(conversation.id, items=mine)
    assert again.value.code == "duplicate_item_id"
    assert len(client.conversations.items.list(conversation.id).data) == 1


# --- errors --------------------------------------------------------------------------------------


def test_unknown_conversation_and_item_are_404_with_the_openai_envelope(server: ServedStack) -> None:
    with httpx.Client(base_url=f"{server.base_url}/v1") as http:
        missing = http.get("/conversations/conv_missing")
        assert missing.status_code == 404
        error = missing.json()["error"]
        assert error["type"] == "not_found_error" and "conv_missing" in error["message"]
        assert set(error) == {"message", "type", "param", "code"}

        conversation_id = http.post("/conversations", json={}).json()["id"]
        for method in ("GET", "DELETE"):
            gone = http.request(method, f"/conversations/{conversation_id}/items/msg_missing")
            assert gone.status_code == 404 and "msg_missing" in gone.json()["error"]["message"]
        assert http.delete("/conversations/conv_missing").status_code == 404
        assert http.post("/conversations/conv_missing", json={"metadata": {}}).status_code == 404
        added = http.post(
            "/conversations/conv_missing/items", json={"items": [{"role": "user", "content": "x"}]}
        )
        assert added.status_code == 404


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"after": "msg_nowhere"}, {"order": "sideways"}],
    ids=["limit-0", "limit-101", "unknown-after", "bad-order"],
)
def test_bad_listing_parameters_are_400(client: OpenAI, params: dict[str, object]) -> None:
    conversation_id = _numbered(client, 1)
    with pytest.raises(openai.BadRequestError) as refused:
        client.conversations.items.list(conversation_id, **params)  # type: ignore[arg-type]
    assert refused.value.body is not None
    assert refused.value.response.json()["error"]["type"] == "invalid_request_error"


def test_too_many_items_and_bad_bodies_are_400(client: OpenAI) -> None:
    many: list[Any] = [{"role": "user", "content": str(i)} for i in range(21)]
    with pytest.raises(openai.BadRequestError, match="items"):
        client.conversations.create(items=many)
    conversation_id = _numbered(client, 1)
    with pytest.raises(openai.BadRequestError, match="items"):
        client.conversations.items.create(conversation_id, items=many)
    with pytest.raises(openai.BadRequestError, match="items"):
        client.conversations.items.create(conversation_id, items=[])
    with pytest.raises(openai.BadRequestError, match="metadata"):
        client.conversations.create(metadata={f"k{i}": "v" for i in range(17)})
    with pytest.raises(openai.BadRequestError, match="metadata"):
        client.conversations.create(metadata={"k": "v" * 513})
    bogus: list[Any] = [{"type": "bogus"}]
    with pytest.raises(openai.BadRequestError, match="bogus"):
        client.conversations.items.create(conversation_id, items=bogus)
    robot: list[Any] = [{"role": "robot", "content": "x"}]
    with pytest.raises(openai.BadRequestError, match="role"):
        client.conversations.items.create(conversation_id, items=robot)
    # nothing of the refused requests was stored
    assert len(client.conversations.items.list(conversation_id).data) == 1


# --- restart -------------------------------------------------------------------------------------


def test_conversations_and_items_survive_a_restart(serve_stack: ServeStack) -> None:
    first = serve_stack(DISTRIBUTION)
    with OpenAI(base_url=f"{first.base_url}/v1", api_key="x", max_retries=0) as before:
        conversation = before.conversations.create(
            items=[{"role": "user", "content": "remember me"}], metadata={"k": "v"}
        )
        before.conversations.items.create(conversation.id, items=[{"role": "assistant", "content": "sure"}])
        deleted = before.conversations.create(items=[{"role": "user", "content": "forget me"}])
        before.conversations.delete(deleted.id)
    first.stop()

    second = serve_stack(DISTRIBUTION)
    with OpenAI(base_url=f"{second.base_url}/v1", api_key="x", max_retries=0) as after:
        assert after.conversations.retrieve(conversation.id).metadata == {"k": "v"}
        items = list(after.conversations.items.list(conversation.id, order="asc"))
        assert _texts(items) == ["remember me", "sure"]
        # sequence numbers continue after the restart: a new item lands last
        after.conversations.items.create(conversation.id, items=[{"role": "user", "content": "again"}])
        assert _texts(list(after.conversations.items.list(conversation.id, order="asc")))[-1] == "again"
        with pytest.raises(openai.NotFoundError):
            after.conversations.retrieve(deleted.id)


# --- the provider's Python methods (what the Responses engine calls) ----------------------------


@pytest.fixture
async def kv(tmp_path: Path) -> AsyncIterator[KVStore]:
    store = await kvstore_from_config(SqliteKVStoreConfig(db_path=str(tmp_path / "kvstore.db")))
    try:
        yield store
    finally:
        await store.close()


def _message_texts(items: list[ConversationItem]) -> list[str]:
    texts: list[str] = []
    for item in items:
        if isinstance(item, ResponseMessage) and isinstance(item.content, list):
            texts.extend(part.text for part in item.content if isinstance(part, ResponseInputText))
    return texts


async def _provider(kv: KVStore, tmp_path: Path) -> BuiltinConversations:
    """A fresh instance over the same store, initialized (as after a restart)."""
    context = ProviderContext(
        provider_id="builtin", state_dir=tmp_path / "builtin", kvstore=ProviderKVStore(kv, "conversations")
    )
    provider = await create(BuiltinConversationsConfig(), {}, context)
    await provider.initialize()
    return provider


async def test_append_items_takes_output_items_and_fills_ids(kv: KVStore, tmp_path: Path) -> None:
    provider = await _provider(kv, tmp_path)
    conversation = await provider.create_conversation(items=[ResponseMessage(role="user", content="hi")])
    call = ResponseFunctionToolCall(call_id="c1", name="f", arguments="{}")
    output: list[ResponseOutputItem] = [
        call,
        ResponseOutputMessage(id="msg_out", content=[ResponseOutputText(text="done")]),
    ]
    stored = await provider.append_items(conversation.id, output)
    assert isinstance(stored[0], ResponseFunctionToolCall) and stored[0].status == "completed"
    assert str(stored[0].id).startswith("fc_")
    assert isinstance(stored[1], ResponseMessage) and stored[1].id == "msg_out"
    assert call.id is None  # the caller's objects are not changed

    everything = await provider.all_items(conversation.id)
    assert [item.type for item in everything] == ["message", "function_call", "message"]
    assert everything[1:] == stored
    with pytest.raises(NotFoundError, match="conv_nope"):
        await provider.all_items("conv_nope")
    with pytest.raises(InvalidRequestError, match="msg_out"):
        await provider.append_items(
            conversation.id, [ResponseMessage(id="msg_out", role="user", content="x")]
        )
    # more than a request's 20 items is fine for the engine
    many = [ResponseMessage(role="user", content=str(i)) for i in range(25)]
    assert len(await provider.append_items(conversation.id, many)) == 25
    assert len(await provider.all_items(conversation.id)) == 28


async def test_items_above_the_commit_counter_are_invisible_and_replaced(kv: KVStore, tmp_path: Path) -> None:
    provider = await _provider(kv, tmp_path)
    conversation = await provider.create_conversation(items=[ResponseMessage(role="user", content="kept")])
    # what an append that crashed before its commit leaves: an item and its id entry above the counter
    namespace = ProviderKVStore(kv, "conversations")
    orphan = ResponseMessage(id="msg_orphan", role="user", content=[], status="completed")
    await namespace.set(f"item:{conversation.id}:{1:012d}", orphan.model_dump_json())
    await namespace.set(f"item-id:{conversation.id}:msg_orphan", "1")

    provider = await _provider(kv, tmp_path)
    assert _message_texts(await provider.all_items(conversation.id)) == ["kept"]
    with pytest.raises(NotFoundError):
        await provider.get_item(conversation.id, "msg_orphan")
    # the next append takes the slot, and the orphan's id is free again
    await provider.append_items(
        conversation.id, [ResponseMessage(id="msg_orphan", role="user", content="retry")]
    )
    assert _message_texts(await provider.all_items(conversation.id)) == ["kept", "retry"]
    assert (await provider.get_item(conversation.id, "msg_orphan")).id == "msg_orphan"


async def test_a_half_created_conversation_is_removed_at_startup(kv: KVStore, tmp_path: Path) -> None:
    namespace = ProviderKVStore(kv, "conversations")
    await namespace.set("incomplete:conv_half", "")
    await namespace.set(
        f"item:conv_half:{0:012d}", ResponseMessage(id="msg_a", role="user", content="x").model_dump_json()
    )
    await namespace.set("item-id:conv_half:msg_a", "0")

    provider = await _provider(kv, tmp_path)
    assert await namespace.items_with_prefix("") == []
    with pytest.raises(NotFoundError):
        await provider.get_conversation("conv_half")
