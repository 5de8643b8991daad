"""What the agent engine costs: its own time per turn step, and the first event of a streamed turn.

    python bench/agents.py [--turns 300] [--session-turns 20] [--requests 50] [--delay-s 0.02] [--profile]

1. **Engine time per step, in process.** A fake model answers instantly from
   pre-built chunk streams (a tool call at each of the first ``TOOL_STEPS``
   inference steps, then a short text answer) and the tool answers instantly, so
   a turn is 9 steps (5 inference + 4 tool execution) that cost the engine only.
   Measured: ``AgentLoop.run`` (without history and with ``--session-turns - 1``
   turns of it), then ``AgentsService.create_agent_turn`` (non-streamed and
   streamed) on a real SQLite kv store in a temp dir -- turn records written and
   the session's history read back on every turn -- in sessions of
   ``--session-turns`` turns, by history length. Reported: p50/p95 of turn wall
   time ÷ steps, of the gaps between consecutive step-complete events, and per
   turn. The fake model's and tool's own cost (building and iterating the chunk
   streams, one tool call) is measured alone and printed, not subtracted.
2. **First event of a streamed turn vs. the first inference token, over HTTP.**
   Serves bench/agents.yaml with ``llama-stack run`` on 127.0.0.1 (the scripted
   model from tests/fakes, loaded as a plugin; meta-reference agents). The
   scripted model sleeps ``--delay-s`` before each chunk, so its first token has
   a definite time. Interleaved: (a) request → first content chunk of a direct
   ``/v1/chat/completions`` stream; (b) request → ``turn_start`` and → first
   ``step_progress`` text event of a streamed agent turn playing the same text
   (a fresh session each, so history stays empty); (b − a) is what the agent
   layer adds before the first token reaches the client.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from _server import serve
from pydantic import TypeAdapter

from llama_stack.storage import ProviderKVStore, SqliteKVStoreConfig, kvstore_from_config
from llama_stack_api import Api
from llama_stack_api.agents import AgentConfig
from llama_stack_api.inference import (
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionUsage,
    OpenAIChoiceDelta,
    OpenAIChoiceDeltaToolCall,
    OpenAIChoiceDeltaToolCallFunction,
    OpenAIChunkChoice,
    OpenAIMessageParam,
    UserMessage,
)
from llama_stack_api.plugins import ProviderContext
from llama_stack_api.tool_runtime import ListToolDefsResponse, ToolDef, ToolInvocationResult, ToolParameter
from llama_stack_providers.inline.agents.meta_reference import provider
from llama_stack_providers.inline.agents.meta_reference.config import MetaReferenceAgentsConfig
from llama_stack_providers.inline.agents.meta_reference.engine import (
    AgentLoop,
    EngineTool,
    InferenceDone,
    LoopRequest,
    ToolExecutionDone,
    ToolOutcome,
    ToolSet,
)

ROOT = Path(__file__).resolve().parent.parent
MODEL = "bench-llm"
TOOL_STEPS = 4  # tool-calling inference steps per turn; then the answer: 2 * 4 + 1 = 9 steps
ANSWER = "the answer is forty two as every lookup above agrees"
INSTRUCTIONS = "You answer questions with the lookup tool."
QUESTION = "What is the answer? Look it up four times to be sure."
SCHEMA = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
_MESSAGES: TypeAdapter[list[OpenAIMessageParam]] = TypeAdapter(list[OpenAIMessageParam])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(label: str, *columns: list[float]) -> str:
    """``label`` then p50/p95 (ms) of each column of seconds."""
    cells = [
        f"{percentile(c, 0.5) * 1000:8.3f} {percentile(c, 0.95) * 1000:8.3f}" if c else f"{'-':>8} {'-':>8}"
        for c in columns
    ]
    return f"{label:44s} " + "   ".join(cells)


# ---- an instant model and tool --------------------------------------------------------------------


def _chunk(
    delta: OpenAIChoiceDelta | None, finish: Any = None, usage: Any = None
) -> OpenAIChatCompletionChunk:
    choices = [] if delta is None else [OpenAIChunkChoice(index=0, delta=delta, finish_reason=finish)]
    return OpenAIChatCompletionChunk(
        id="chatcmpl-bench", created=0, model=MODEL, choices=choices, usage=usage
    )


def _usage(completion: int) -> OpenAIChatCompletionUsage:
    return OpenAIChatCompletionUsage(
        prompt_tokens=50, completion_tokens=completion, total_tokens=50 + completion
    )


def _call_chunks(step: int) -> list[OpenAIChatCompletionChunk]:
    """A tool call streamed as OpenAI does: name and id first, then the arguments in two pieces."""

    def call(**fields: Any) -> OpenAIChoiceDelta:
        function = OpenAIChoiceDeltaToolCallFunction(**fields.pop("function"))
        return OpenAIChoiceDelta(tool_calls=[OpenAIChoiceDeltaToolCall(index=0, function=function, **fields)])

    head = call(id=f"call_{step}", type="function", function={"name": "lookup", "arguments": ""})
    head.role = "assistant"
    return [
        _chunk(head),
        _chunk(call(function={"arguments": '{"query": "answer '})),
        _chunk(call(function={"arguments": f'{step}"}}'})),
        _chunk(OpenAIChoiceDelta(), "tool_calls"),
        _chunk(None, usage=_usage(8)),
    ]


def _text_chunks(text: str) -> list[OpenAIChatCompletionChunk]:
    words = text.split(" ")
    deltas = [OpenAIChoiceDelta(content=w if i == 0 else " " + w) for i, w in enumerate(words)]
    deltas[0].role = "assistant"
    return [
        *(_chunk(d) for d in deltas),
        _chunk(OpenAIChoiceDelta(), "stop"),
        _chunk(None, usage=_usage(len(words))),
    ]


async def _replay(chunks: list[OpenAIChatCompletionChunk]) -> AsyncIterator[OpenAIChatCompletionChunk]:
    for item in chunks:
        yield item


class InstantModel:
    """Calls the tool at each of the first ``TOOL_STEPS`` steps of a turn, then answers; pre-built chunks."""

    def __init__(self) -> None:
        self.calls = [_call_chunks(step) for step in range(TOOL_STEPS)]
        self.answer = _text_chunks(ANSWER)

    async def openai_chat_completion(
        self, model: str, messages: list[Any], stream: bool | None = None, **options: Any
    ) -> AsyncIterator[OpenAIChatCompletionChunk]:
        done = 0  # assistant messages since the turn's user message
        for message in reversed(messages):
            if message.role == "user":
                break
            done += message.role == "assistant"
        return _replay(self.calls[done] if done < TOOL_STEPS else self.answer)


TOOL_OUTCOME = ToolOutcome(content="42")
TOOL_RESULT = ToolInvocationResult(content="42")


async def lookup(arguments: dict[str, Any]) -> ToolOutcome:
    return TOOL_OUTCOME


class InstantToolRuntime:
    """A tool runtime with one group, ``bench``, of one instant tool."""

    tools = ListToolDefsResponse(
        data=[
            ToolDef(
                name="lookup",
                description="Look up a fact.",
                parameters=[ToolParameter(name="query", parameter_type="string")],
            )
        ]
    )

    async def list_runtime_tools(self, tool_group_id: str | None = None, **_: Any) -> ListToolDefsResponse:
        return self.tools

    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        return TOOL_RESULT


def turn_messages(turn: int) -> list[dict[str, Any]]:
    """The chat messages one turn adds (OpenAI form), as the service stores them."""
    out: list[dict[str, Any]] = [{"role": "user", "content": f"{QUESTION} ({turn})"}]
    for step in range(TOOL_STEPS):
        arguments = json.dumps({"query": f"answer {step}"})
        call = {
            "id": f"call_{step}",
            "type": "function",
            "function": {"name": "lookup", "arguments": arguments},
        }
        out += [
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": f"call_{step}", "content": "42"},
        ]
    return [*out, {"role": "assistant", "content": ANSWER}]


# ---- part 1: in process ---------------------------------------------------------------------------


def _is_step_complete(event: Any) -> bool:
    return isinstance(event, InferenceDone | ToolExecutionDone)


async def engine_turns(n: int, history_turns: int) -> tuple[list[float], list[float], list[float]]:
    """(turn wall ÷ steps, step-to-step gaps, turn walls) of ``n`` ``AgentLoop.run`` turns, in seconds."""
    loop = AgentLoop(InstantModel(), None)
    tools = ToolSet([EngineTool("lookup", "Look up a fact.", SCHEMA, invoke=lookup)])
    history: list[dict[str, Any]] = [{"role": "system", "content": INSTRUCTIONS}]
    for turn in range(history_turns):
        history += turn_messages(turn)
    per_step: list[float] = []
    gaps: list[float] = []
    walls: list[float] = []
    for i in range(n + 20):  # 20 warm-up turns
        request = LoopRequest(MODEL, [*history, {"role": "user", "content": QUESTION}], tools=tools)
        marks = [time.perf_counter()]
        async for event in loop.run(request):
            if _is_step_complete(event):
                marks.append(time.perf_counter())
        wall = time.perf_counter() - marks[0]
        if i >= 20:
            per_step.append(wall / (len(marks) - 1))
            gaps += [b - a for a, b in pairwise(marks)]
            walls.append(wall)
    return per_step, gaps, walls


async def fake_cost(n: int) -> tuple[list[float], list[float]]:
    """(per step, per turn) seconds the instant model and tool take alone for one turn's 5 calls + 4 tools."""
    model = InstantModel()
    messages = [{"role": "system", "content": INSTRUCTIONS}, *turn_messages(0)]
    starts = [i for i, m in enumerate(messages) if m["role"] in ("user", "tool")]  # an inference after each
    prefixes = [_MESSAGES.validate_python(messages[: at + 1]) for at in starts]
    per_step, per_turn = [], []
    for i in range(n + 20):
        t0 = time.perf_counter()
        for prefix in prefixes:
            async for _ in await model.openai_chat_completion(MODEL, prefix, stream=True):
                pass
        for _ in range(TOOL_STEPS):
            await lookup({"query": "answer"})
        wall = time.perf_counter() - t0
        if i >= 20:
            per_turn.append(wall)
            per_step.append(wall / (2 * TOOL_STEPS + 1))
    return per_step, per_turn


class Buckets:
    """Per-turn figures by the history a turn reads (in buckets of ``size`` turns)."""

    def __init__(self, session_turns: int, size: int) -> None:
        self.size = size
        self.edges = list(range(0, session_turns, size))
        self.data: dict[int, dict[str, list[float]]] = {e: {} for e in self.edges}

    def add(self, history: int, **values: list[float] | float) -> None:
        bucket = self.data[history // self.size * self.size]
        for name, value in values.items():
            bucket.setdefault(name, []).extend(value if isinstance(value, list) else [value])

    def label(self, edge: int) -> str:
        return f"{edge}-{edge + self.size - 1}" if self.size > 1 else f"{edge}"


async def service_turns(
    service: Any, agent_id: str, n: int, session_turns: int, stream: bool, buckets: Buckets
) -> None:
    """``n`` turns through ``create_agent_turn``, in sessions of ``session_turns`` turns."""
    message = UserMessage(content=QUESTION)
    done = 0
    while done < n:
        session_id = (await service.create_agent_session(agent_id, "bench")).session_id
        for history in range(min(session_turns, n - done)):
            t0 = time.perf_counter()
            if not stream:
                turn = await service.create_agent_turn(agent_id, session_id, [message], stream=False)
                wall = time.perf_counter() - t0
                buckets.add(history, per_step=wall / len(turn.steps), turn=wall)
                done += 1
                continue
            marks = [t0]
            started = last = 0.0
            async for item in await service.create_agent_turn(agent_id, session_id, [message], stream=True):
                kind = item.event.payload.event_type
                if kind == "turn_start":
                    started = time.perf_counter()
                elif kind == "step_complete":
                    marks.append(time.perf_counter())
                last = time.perf_counter()
            wall = last - t0
            buckets.add(
                history,
                per_step=wall / (len(marks) - 1),
                gaps=[b - a for a, b in pairwise(marks)],
                turn=wall,
                turn_start=started - t0,
                tail=last - marks[-1],
            )
            done += 1


async def in_process(args: argparse.Namespace) -> None:
    n = args.turns
    steps = 2 * TOOL_STEPS + 1
    print(
        f"== 1. engine time per step, in process ({n} turns each; instant model and tool; "
        f"{TOOL_STEPS} tool steps + answer = {steps} steps per turn)"
    )
    header = f"{'':44s} {'per step p50':>12s} {'p95':>5s}   {'step gaps p50':>13s} {'p95':>4s}   {'per turn p50':>12s} {'p95':>5s}   (ms)"
    print(header)
    fake_step, fake_turn = await fake_cost(n)
    print(row("fake model + tool alone (not subtracted)", fake_step, [], fake_turn))
    per_step, gaps, walls = await engine_turns(n, 0)
    print(row("AgentLoop.run, no history", per_step, gaps, walls))
    per_step, gaps, walls = await engine_turns(n, args.session_turns - 1)
    print(row(f"AgentLoop.run, {args.session_turns - 1} turns of history", per_step, gaps, walls))

    with tempfile.TemporaryDirectory(prefix="agents-bench-") as tmp:
        kv = await kvstore_from_config(SqliteKVStoreConfig(db_path=str(Path(tmp) / "kv.db")))
        context = ProviderContext("meta-reference", Path(tmp), ProviderKVStore(kv, "provider-meta-reference"))
        deps = {Api.inference: InstantModel(), Api.tool_runtime: InstantToolRuntime()}
        service = await provider.create(MetaReferenceAgentsConfig(), deps, context)
        config = AgentConfig(model=MODEL, instructions=INSTRUCTIONS, toolgroups=["bench"])
        agent_id = (await service.create_agent(config)).agent_id
        size = max(1, args.session_turns // 4)
        warm = Buckets(args.session_turns, size)
        await service_turns(service, agent_id, args.session_turns, args.session_turns, False, warm)
        profiler = cProfile.Profile() if args.profile else None
        for stream in (False, True):
            buckets = Buckets(args.session_turns, size)
            if profiler is not None and stream:
                profiler.enable()
            await service_turns(service, agent_id, n, args.session_turns, stream, buckets)
            if profiler is not None:
                profiler.disable()
            mode = "streamed" if stream else "non-streamed"
            print(f"AgentsService.create_agent_turn, {mode}, SQLite kv store, by turns of history:")
            for edge in buckets.edges:
                got = buckets.data[edge]
                print(row(f"  {buckets.label(edge)}", got["per_step"], got.get("gaps", []), got["turn"]))
            if stream:
                print(f"{'':44s} {'to turn_start':>12s} {'p95':>5s}   {'last step → turn_complete':>26s}")
                for edge in buckets.edges:
                    got = buckets.data[edge]
                    print(row(f"  {buckets.label(edge)}", got["turn_start"], got["tail"]))
        await kv.close()
    if profiler is not None:
        print("\n-- profile of the streamed service turns (top 15 by own time)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


# ---- part 2: over HTTP ----------------------------------------------------------------------------


def _events(response: httpx.Response) -> Iterator[Any]:
    for line in response.iter_lines():
        if line.startswith("data: {"):
            yield json.loads(line[6:])


def first_chat_token(client: httpx.Client, base: str, content: str) -> float:
    """Seconds from request to the first content chunk of a streamed chat completion."""
    body = {"model": "scripted-llm", "messages": [{"role": "user", "content": content}], "stream": True}
    t0 = time.perf_counter()
    first: float | None = None
    with client.stream("POST", f"{base}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for event in _events(response):
            choices = event.get("choices") or [{}]
            if first is None and choices[0].get("delta", {}).get("content"):
                first = time.perf_counter()
    assert first is not None, "the chat stream had no content"
    return first - t0


def first_turn_events(client: httpx.Client, base: str, agent_id: str, content: str) -> tuple[float, float]:
    """Seconds from request to ``turn_start`` and to the first text ``step_progress`` of a streamed turn."""
    session = client.post(f"{base}/v1/agents/{agent_id}/session", json={"session_name": "bench"})
    session_id = session.raise_for_status().json()["session_id"]
    body = {"messages": [{"role": "user", "content": content}], "stream": True}
    t0 = time.perf_counter()
    started: float | None = None
    first: float | None = None
    with client.stream(
        "POST", f"{base}/v1/agents/{agent_id}/session/{session_id}/turn", json=body
    ) as response:
        response.raise_for_status()
        for event in _events(response):
            payload = event["event"]["payload"]
            kind = payload["event_type"]
            if kind == "turn_start" and started is None:
                started = time.perf_counter()
            delta = payload.get("delta") or {}
            if (
                first is None
                and kind == "step_progress"
                and delta.get("type") == "text"
                and delta.get("text")
            ):
                first = time.perf_counter()
    assert started is not None and first is not None, "the turn streamed no turn_start or no text"
    return started - t0, first - t0


def over_http(args: argparse.Namespace) -> None:
    # one keep-alive connection for every request, so connection setup is not measured
    with serve(ROOT / "bench/agents.yaml", test_plugins=True) as server, httpx.Client(timeout=60) as client:
        base = server.base_url
        # the scripted model's script line (tests.fakes.scripted_inference.script): one text answer
        content = "SCRIPT: " + json.dumps([{"say": "the quick brown fox", "delay_s": args.delay_s}])
        agent = client.post(
            f"{base}/v1/agents",
            json={"agent_config": {"model": "scripted-llm", "instructions": INSTRUCTIONS}},
        )
        agent_id = agent.raise_for_status().json()["agent_id"]
        chat, start, first = [], [], []
        for i in range(args.requests + 5):  # 5 warm-up pairs; interleaved so drift hits both alike
            a = first_chat_token(client, base, content)
            s, b = first_turn_events(client, base, agent_id, content)
            if i >= 5:
                chat.append(a)
                start.append(s)
                first.append(b)
        added = [b - a for a, b in zip(chat, first, strict=True)]
        print(
            f"\n== 2. first event of a streamed turn vs. the first inference token, over HTTP "
            f"({args.requests} requests each; scripted model, {args.delay_s * 1000:g} ms before each chunk)"
        )
        print(f"{'':44s} {'p50':>8s} {'p95':>8s}   (ms, from sending the request)")
        print(row("(a) chat completion: first content chunk", chat))
        print(row("(b) agent turn: turn_start", start))
        print(row("(b) agent turn: first step_progress text", first))
        print(row("(b - a), paired: added by the agent layer", added))
        p50 = (percentile(first, 0.5) - percentile(chat, 0.5)) * 1000
        p95 = (percentile(first, 0.95) - percentile(chat, 0.95)) * 1000
        print(f"{'(b) p50 - (a) p50, (b) p95 - (a) p95':44s} {p50:8.3f} {p95:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=300, help="turns per in-process measurement")
    parser.add_argument("--session-turns", type=int, default=20, help="turns per session (history growth)")
    parser.add_argument("--requests", type=int, default=50, help="HTTP requests of each kind")
    parser.add_argument(
        "--delay-s", type=float, default=0.02, help="scripted model's delay before each chunk"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the streamed service turns")
    parser.add_argument("--skip-http", action="store_true", help="only the in-process part")
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(in_process(args))
    if not args.skip_http:
        over_http(args)
    print(f"\n(total {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
