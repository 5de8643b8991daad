"""The Responses API through the real ``openai`` SDK, with the scripted model: tools, chaining, storage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.fakes.mcp_server import MCPTestServer
from tests.fakes.scripted_inference import script
from tests.support.server import ServedStack

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def client(agents_server: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{agents_server.base_url}/v1", api_key="none", max_retries=0) as sdk:
        yield sdk


def mcp_tool(server: MCPTestServer, approval: Any = "never") -> dict[str, Any]:
    return {
        "type": "mcp",
        "server_label": "calc",
        "server_url": server.http_url,
        "require_approval": approval,
    }


def test_a_text_response_is_stored_and_listed(client: OpenAI) -> None:
    response = client.responses.create(model="scripted-llm", input="hello there", instructions="Be kind.")
    assert response.status == "completed"
    assert response.output_text == "echo: hello there"
    assert response.usage is not None and response.usage.output_tokens > 0
    assert response.instructions == "Be kind."
    assert client.responses.retrieve(response.id).output_text == "echo: hello there"
    items = client.responses.input_items.list(response.id)
    assert [i.type for i in items.data] == ["message"]
    listed = client.get("/responses", cast_to=object, options={"params": {"limit": 100}})
    assert response.id in [r["id"] for r in listed["data"]]  # type: ignore[index]
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_unstored_responses_cannot_be_retrieved(client: OpenAI) -> None:
    response = client.responses.create(model="scripted-llm", input="quiet", store=False)
    assert response.output_text == "echo: quiet"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_streamed_text_events_come_in_order(client: OpenAI) -> None:
    with client.responses.create(model="scripted-llm", input="one two three", stream=True) as stream:
        events = list(stream)
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert kinds.index("response.output_item.added") < kinds.index("response.content_part.added")
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas.strip() == "echo: one two three"
    done = next(e for e in events if e.type == "response.output_text.done")
    assert done.text == deltas
    assert events[-1].response.output_text == deltas


def test_function_tools_pause_and_previous_response_id_chains(client: OpenAI) -> None:
    moves = script(
        {"call": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}, {"say": "weather: {tool_results}"}
    )
    first = client.responses.create(model="scripted-llm", input=moves, tools=[WEATHER_TOOL])
    [call] = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Oslo"}
    second = client.responses.create(
        model="scripted-llm",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "snowing"}],
        tools=[WEATHER_TOOL],
    )
    assert second.output_text == "weather: snowing"
    assert second.previous_response_id == first.id


def test_streamed_function_call_arguments(client: OpenAI) -> None:
    moves = script({"call": [{"name": "get_weather", "arguments": {"city": "Lima"}}]})
    with client.responses.create(
        model="scripted-llm", input=moves, tools=[WEATHER_TOOL], stream=True
    ) as stream:
        events = list(stream)
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(deltas) == json.loads(done.arguments) == {"city": "Lima"}
    assert events[-1].response.output[0].type == "function_call"


def test_file_search_searches_the_vector_stores(client: OpenAI) -> None:
    uploaded = client.files.create(
        file=("lights.txt", b"The lighthouse on the northern cape is painted red and white."),
        purpose="assistants",
    )
    store = client.vector_stores.create(name="lights", file_ids=[uploaded.id])
    deadline = time.monotonic() + 30
    while client.vector_stores.retrieve(store.id).file_counts.completed < 1:
        assert time.monotonic() < deadline, "the file was not ingested in time"
        time.sleep(0.05)
    moves = script(
        {"call": [{"name": "file_search", "arguments": {"query": "lighthouse colour"}}]},
        {"say": "Red and white [1]."},
    )
    response = client.responses.create(
        model="scripted-llm",
        input=moves,
        tools=[{"type": "file_search", "vector_store_ids": [store.id]}],
        include=["file_search_call.results"],
    )
    search = response.output[0]
    assert search.type == "file_search_call" and search.status == "completed"
    assert search.queries == ["lighthouse colour"]
    assert search.results and search.results[0].filename == "lights.txt"
    assert "red and white" in (search.results[0].text or "")
    # the answer's [1] cites the first result: a file_citation at that place
    message = response.output[-1]
    [citation] = message.content[0].annotations
    assert (citation.type, citation.filename, citation.file_id) == (
        "file_citation",
        "lights.txt",
        uploaded.id,
    )
    assert message.content[0].text[citation.index : citation.index + 3] == "[1]"


def test_mcp_tools_are_listed_and_called(client: OpenAI, mcp_server: MCPTestServer) -> None:
    moves = script(
        {"call": [{"name": "add", "arguments": {"a": 20, "b": 22}}]}, {"say": "sum {tool_results}"}
    )
    with client.responses.create(
        model="scripted-llm", input=moves, tools=[mcp_tool(mcp_server)], stream=True
    ) as stream:
        events = list(stream)
    kinds = [e.type for e in events]
    for kind in (
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
    ):
        assert kind in kinds, kind
    response = events[-1].response
    listing, call, message = response.output
    assert message.type == "message"
    assert listing.type == "mcp_list_tools" and "add" in [t.name for t in listing.tools]
    assert call.type == "mcp_call" and call.output == "42"
    assert response.output_text == "sum 42"


def test_mcp_calls_wait_for_approval(client: OpenAI, mcp_server: MCPTestServer) -> None:
    tools = [mcp_tool(mcp_server, approval="always")]
    moves = script(
        {"call": [{"name": "echo", "arguments": {"text": "approved!"}}]}, {"say": "said {tool_results}"}
    )
    first = client.responses.create(model="scripted-llm", input=moves, tools=tools)
    request = first.output[-1]
    assert request.type == "mcp_approval_request" and request.name == "echo"
    second = client.responses.create(
        model="scripted-llm",
        previous_response_id=first.id,
        input=[{"type": "mcp_approval_response", "approval_request_id": request.id, "approve": True}],
        tools=tools,
    )
    call = next(item for item in second.output if item.type == "mcp_call")
    assert call.output == "approved!"
    assert second.output_text == "said approved!"


def test_a_conversation_collects_the_items_of_its_responses(client: OpenAI) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": "my name is Ada"}])
    client.responses.create(model="scripted-llm", input="what is my name?", conversation=conversation.id)
    items = client.conversations.items.list(conversation.id, order="asc").data
    texts = [part.text for item in items for part in item.content]
    assert texts == ["my name is Ada", "what is my name?", "echo: what is my name?"]


def test_json_schema_text_format(client: OpenAI, agents_server: ServedStack) -> None:
    response = client.responses.create(
        model="scripted-llm",
        input=script({"json": {"city": "Rome"}}),
        text={"format": {"type": "json_schema", "name": "place", "schema": {"type": "object"}}},
    )
    assert json.loads(response.output_text) == {"city": "Rome"}
    sent = agents_server.provider("scripted").log[-1]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "place"


def test_max_tool_calls_limits_hosted_calls(client: OpenAI, mcp_server: MCPTestServer) -> None:
    moves = script(
        {
            "call": [
                {"name": "add", "arguments": {"a": 1, "b": 1}},
                {"name": "add", "arguments": {"a": 2, "b": 2}},
            ]
        },
        {"say": "{tool_results}"},
    )
    response = client.responses.create(
        model="scripted-llm", input=moves, tools=[mcp_tool(mcp_server)], max_tool_calls=1
    )
    calls = [item for item in response.output if item.type == "mcp_call"]
    assert len(calls) == 1
    assert "tool-call limit" in response.output_text


def test_background_responses_can_be_cancelled(client: OpenAI) -> None:
    slow = script({"say": "a b c d e f g h i j k l m n o p", "delay_s": 0.5})
    response = client.responses.create(model="scripted-llm", input=slow, background=True)
    assert response.status in ("queued", "in_progress")
    cancelled = client.responses.cancel(response.id)
    assert cancelled.status == "cancelled"
    assert client.responses.retrieve(response.id).status == "cancelled"
    assert client.responses.cancel(response.id).status == "cancelled"  # idempotent
    foreground = client.responses.create(model="scripted-llm", input="now")
    with pytest.raises(openai.ConflictError):
        client.responses.cancel(foreground.id)


def test_background_responses_finish_and_can_be_polled(client: OpenAI) -> None:
    response = client.responses.create(model="scripted-llm", input="later", background=True)
    deadline = time.monotonic() + 10
    while (polled := client.responses.retrieve(response.id)).status in ("queued", "in_progress"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert polled.status == "completed" and polled.output_text == "echo: later"


def test_bad_requests_are_refused(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="scripted-llm", input="x", previous_response_id="resp_1", conversation="conv_1"
        )
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="scripted-llm", input="x", previous_response_id="resp_missing")
    with pytest.raises(openai.BadRequestError) as no_url:
        client.responses.create(
            model="scripted-llm", input="x", tools=[{"type": "mcp", "server_label": "x", "connector_id": "c"}]
        )
    assert "server_url" in str(no_url.value)


def test_a_function_call_round_trip_through_a_conversation(
    client: OpenAI, agents_server: ServedStack
) -> None:
    conversation = client.conversations.create()
    moves = script(
        {"call": [{"name": "get_weather", "arguments": {"city": "Rome"}}]}, {"say": "it is {tool_results}"}
    )
    first = client.responses.create(
        model="scripted-llm", input=moves, tools=[WEATHER_TOOL], conversation=conversation.id
    )
    [call] = first.output
    # the call item is sent back with its output, as clients do; the conversation has it already
    second = client.responses.create(
        model="scripted-llm",
        input=[
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "warm"},
        ],
        tools=[WEATHER_TOOL],
        conversation=conversation.id,
    )
    assert second.output_text == "it is warm"
    sent = agents_server.provider("scripted").log[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]  # the call once, then its output
    kinds = [item.type for item in client.conversations.items.list(conversation.id, order="asc").data]
    assert kinds == ["message", "function_call", "function_call_output", "message"]


def test_a_call_item_sent_back_with_previous_response_id_is_not_repeated(
    client: OpenAI, agents_server: ServedStack
) -> None:
    moves = script(
        {"call": [{"name": "get_weather", "arguments": {"city": "Bern"}}]}, {"say": "{tool_results}"}
    )
    first = client.responses.create(model="scripted-llm", input=moves, tools=[WEATHER_TOOL])
    [call] = first.output
    second = client.responses.create(
        model="scripted-llm",
        previous_response_id=first.id,
        input=[
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "foggy"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert second.output_text == "foggy"
    sent = agents_server.provider("scripted").log[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]


def test_the_sdks_stream_helper_rebuilds_the_response(client: OpenAI, mcp_server: MCPTestServer) -> None:
    # the helper accumulates the events into a response itself, so it checks their order and indexes
    moves = script(
        {"say": "let me add", "call": [{"name": "add", "arguments": {"a": 2, "b": 2}}]},
        {"say": "the answer is {tool_results}"},
    )
    with client.responses.stream(model="scripted-llm", input=moves, tools=[mcp_tool(mcp_server)]) as stream:
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["mcp_list_tools", "message", "mcp_call", "message"]
    assert final.output_text == "let me addthe answer is 4"
    moves = script({"call": [{"name": "get_weather", "arguments": {"city": "Kyiv"}}]})
    with client.responses.stream(model="scripted-llm", input=moves, tools=[WEATHER_TOOL]) as stream:
        final = stream.get_final_response()
    assert final.output[0].type == "function_call" and json.loads(final.output[0].arguments) == {
        "city": "Kyiv"
    }
