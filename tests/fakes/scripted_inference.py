"""A deterministic fake LLM whose answers the test scripts in the conversation itself (agent-loop tests).

The script lives in the **first user message that holds a line starting with
``SCRIPT:``**, followed by a JSON list of *moves* (``script(*moves)`` renders
one). The move played is chosen by how many assistant messages follow that user
message: 0 -> the first move, 1 -> the second, ...; past the end the last move
repeats, so a model that keeps calling tools meets the engine's iteration limit.
One script drives the whole conversation; a later ``SCRIPT:`` line is ignored.
Moves (each may add ``"delay_s": 0.05``: sleep before answering and, when
streaming, between chunks)::

    {"say": "text"}                    answer with text (placeholders below)
    {"call": [{"name": "get_weather", "arguments": {"city": "Paris"}}, ...],
     "say": "optional text first"}     tool calls (several = parallel); finish_reason "tool_calls"
    {"json": {...}}                    answer with the value serialized (response_format tests)
    {"fail": "message"}                raise ProviderError("message") (502)

Placeholders, replaced in ``say`` text and in the string values of call
arguments: ``{tool_results}`` = the tool messages after the last assistant
message, joined by `` | ``; ``{last_user}`` = the last user message without
its ``SCRIPT:`` JSON; ``{system}`` = the system and developer messages. Text
of a list content is its text parts joined by newlines.

Tool call ids are ``call_<step>_<position>`` (step = the assistant-message
count, so ids never repeat within a conversation). ``arguments`` may be an
object (sent as JSON) or a string (sent verbatim: invalid JSON on purpose).
A call naming a tool the request did not offer is still made, and listed in
the log entry's ``unknown_tools``. With ``tool_choice: "none"`` a ``call``
move answers its ``say`` text, or ``"(no tools)"``. ``response_format`` is
recorded, not enforced: a ``json`` move is how a test answers in JSON.

Without a ``SCRIPT:`` line the model echoes: ``"echo: " + last user text``. A
malformed script is an ``InvalidRequestError`` naming every bad move.

Streams split text into words; each tool call starts with a chunk carrying
``index``, ``id``, ``type`` and ``function.name`` with empty arguments, then
its JSON arguments in at least two pieces (three at most), as OpenAI does.
``self.log`` holds one dict per chat request: see ``ScriptedInference.log``.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from llama_stack_api import InvalidRequestError, Model, ModelType, NotSupportedError, ProviderError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionMessage,
    OpenAIChatCompletionTool,
    OpenAIChatCompletionToolCall,
    OpenAIChatCompletionToolCallFunction,
    OpenAIChatCompletionUsage,
    OpenAIChoice,
    OpenAIChoiceDelta,
    OpenAIChoiceDeltaToolCall,
    OpenAIChoiceDeltaToolCallFunction,
    OpenAIChunkChoice,
    OpenAIMessageParam,
    OpenAIResponseFormatParam,
    OpenAIStreamOptions,
    OpenAIToolChoice,
)
from llama_stack_providers.utils.inference import NativeOverOpenAIMixin

SCRIPT_PREFIX = "SCRIPT:"
NO_TOOLS_ANSWER = "(no tools)"
_MOVE_KEYS = {"say", "call", "json", "fail", "delay_s"}
_CALL_KEYS = {"name", "arguments"}

_MESSAGES: TypeAdapter[list[OpenAIMessageParam]] = TypeAdapter(list[OpenAIMessageParam])
_TOOLS: TypeAdapter[list[OpenAIChatCompletionTool] | None] = TypeAdapter(
    list[OpenAIChatCompletionTool] | None
)
_TOOL_CHOICE: TypeAdapter[OpenAIToolChoice | None] = TypeAdapter(OpenAIToolChoice | None)
_RESPONSE_FORMAT: TypeAdapter[OpenAIResponseFormatParam | None] = TypeAdapter(
    OpenAIResponseFormatParam | None
)
_STREAM_OPTIONS: TypeAdapter[OpenAIStreamOptions | None] = TypeAdapter(OpenAIStreamOptions | None)


def script(*moves: dict[str, Any]) -> str:
    """A user-message line holding ``moves``: ``script({"call": [...]}, {"say": "done: {tool_results}"})``."""
    return SCRIPT_PREFIX + " " + json.dumps(list(moves))


class ScriptedInferenceConfig(BaseModel):
    models: list[str] = ["scripted-llm"]
    echo_prefix: str = "echo: "


@dataclass
class _Answer:
    """What one request answers: text and/or tool calls, or nothing yet when the move fails."""

    content: str
    tool_calls: list[OpenAIChatCompletionToolCall] = field(default_factory=list)
    delay_s: float = 0.0

    @property
    def finish_reason(self) -> Any:
        return "tool_calls" if self.tool_calls else "stop"


class ScriptedInference(NativeOverOpenAIMixin):
    """Plays the conversation's script (module docstring); echoes when there is none.

    ``log`` gets one entry per chat request: ``model``, ``messages`` (dicts as
    received), ``tools`` (names offered), ``tool_choice`` (str, dict or None),
    ``response_format`` (dict or None), ``stream``, ``step`` (assistant messages
    after the script; None without one), ``move`` (index played; None when
    echoing); then ``content``, ``tool_calls`` (``[{id, name, arguments}]``),
    ``unknown_tools`` (called but not offered) and ``finish_reason`` -- or
    ``error`` when a ``fail`` move raised.
    """

    def __init__(self, config: ScriptedInferenceConfig) -> None:
        self.config = config
        self.log: list[dict[str, Any]] = []

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def health(self) -> dict[str, Any]:
        return {"status": "OK"}

    async def list_provider_models(self) -> list[Model]:
        return [
            Model(identifier=m, provider_id="scripted", model_type=ModelType.llm) for m in self.config.models
        ]

    async def check_model(self, model: Model) -> Model:
        if model.provider_key not in self.config.models:
            raise InvalidRequestError(
                f"scripted provider serves only {self.config.models}, not {model.provider_key!r}; "
                "add it to the provider's config `models:`"
            )
        return model

    # ---- chat --------------------------------------------------------------------------------

    async def openai_chat_completion(
        self,
        model: str,
        messages: list[Any],
        tools: list[Any] | None = None,
        tool_choice: Any = None,
        response_format: Any = None,
        stream: bool | None = None,
        stream_options: Any = None,
        **params: Any,
    ) -> OpenAIChatCompletion | AsyncIterator[OpenAIChatCompletionChunk]:
        msgs = _validated(_MESSAGES, messages, "messages")
        offered = _validated(_TOOLS, tools, "tools") or []
        choice = _validated(_TOOL_CHOICE, tool_choice, "tool_choice")
        fmt = _validated(_RESPONSE_FORMAT, response_format, "response_format")
        options = _validated(_STREAM_OPTIONS, stream_options, "stream_options")
        names = [_tool_name(t) for t in offered]
        entry: dict[str, Any] = {
            "model": model,
            "messages": [m.model_dump(mode="json", exclude_none=True) for m in msgs],
            "tools": names,
            "tool_choice": _dumped(choice),
            "response_format": _dumped(fmt),
            "stream": bool(stream),
        }
        self.log.append(entry)
        answer = await self._play(msgs, choice, entry)
        entry["content"] = answer.content
        entry["tool_calls"] = [
            {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
            for c in answer.tool_calls
        ]
        entry["unknown_tools"] = [c.function.name for c in answer.tool_calls if c.function.name not in names]
        entry["finish_reason"] = answer.finish_reason
        usage = _usage(msgs, answer)
        cid = f"chatcmpl-scripted-{len(self.log)}"
        created = int(time.time())
        if stream:
            include_usage = bool(options and options.include_usage)
            return _chunks(cid, created, model, answer, usage if include_usage else None, entry)
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        message = OpenAIChatCompletionMessage(content=answer.content, tool_calls=answer.tool_calls or None)
        return OpenAIChatCompletion(
            id=cid,
            created=created,
            model=model,
            choices=[OpenAIChoice(index=0, message=message, finish_reason=answer.finish_reason)],
            usage=usage,
        )

    async def _play(self, msgs: list[Any], choice: Any, entry: dict[str, Any]) -> _Answer:
        found = _find_script(msgs)
        if found is None:
            entry["step"] = entry["move"] = None
            return _Answer(self.config.echo_prefix + _last_user(msgs))
        at, moves = found
        step = sum(1 for m in msgs[at + 1 :] if m.role == "assistant")
        index = min(step, len(moves) - 1)
        entry["step"], entry["move"] = step, index
        move = moves[index]
        delay = float(move.get("delay_s", 0.0))
        if "fail" in move:
            entry["error"] = move["fail"]
            if delay:
                await asyncio.sleep(delay)
            raise ProviderError(move["fail"])
        if "json" in move:
            return _Answer(json.dumps(move["json"]), delay_s=delay)
        values = _placeholders(msgs)
        text = _substitute(move.get("say", ""), values)
        if "call" not in move:
            return _Answer(text, delay_s=delay)
        if choice == "none":
            return _Answer(text or NO_TOOLS_ANSWER, delay_s=delay)
        calls = [
            OpenAIChatCompletionToolCall(
                id=f"call_{step}_{position}",
                function=OpenAIChatCompletionToolCallFunction(
                    name=call["name"], arguments=_arguments(call.get("arguments", {}), values)
                ),
            )
            for position, call in enumerate(move["call"])
        ]
        return _Answer(text, calls, delay)

    # ---- the rest of the protocol: this fake only chats ----------------------------------------

    async def openai_completion(self, model: str, prompt: Any, **params: Any) -> Any:
        raise NotSupportedError(
            "the scripted provider only chats; use /v1/chat/completions, or inline::fake for completions"
        )

    async def openai_embeddings(self, model: str, input: Any, **params: Any) -> Any:
        raise NotSupportedError("the scripted provider serves no embedding model; use inline::fake")


# ---- the script ----------------------------------------------------------------------------------


def _find_script(msgs: list[Any]) -> tuple[int, list[dict[str, Any]]] | None:
    """The index of the first user message holding a script, and its validated moves."""
    for at, message in enumerate(msgs):
        if message.role != "user":
            continue
        span = _script_span(_text(message.content))
        if span is not None:
            return at, _validated_moves(span[2], at)
    return None


def _script_span(text: str) -> tuple[int, int, Any] | None:
    """Where the first ``SCRIPT:`` line's JSON starts and ends in ``text``, and the decoded value."""
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if stripped.startswith(SCRIPT_PREFIX):
            start = offset + len(line) - len(stripped)
            body = start + len(SCRIPT_PREFIX)
            while body < len(text) and text[body].isspace():
                body += 1
            try:
                value, end = json.JSONDecoder().raw_decode(text, body)
            except json.JSONDecodeError as exc:
                raise InvalidRequestError(
                    f"SCRIPT is not valid JSON ({exc.msg} at character {exc.pos}); "
                    'write SCRIPT: [{"say": "..."}], e.g. with tests.fakes.scripted_inference.script()'
                ) from None
            return start, end, value
        offset += len(line)
    return None


def _validated_moves(value: Any, at: int) -> list[dict[str, Any]]:
    where = f"SCRIPT in message {at}"
    if not isinstance(value, list) or not value:
        raise InvalidRequestError(f"{where}: expected a non-empty JSON list of moves, got {value!r}")
    problems = [f"move {i}: {p}" for i, move in enumerate(value) for p in _move_problems(move)]
    if problems:
        raise InvalidRequestError(f"{where}: " + "; ".join(problems))
    return value


def _move_problems(move: Any) -> list[str]:
    if not isinstance(move, dict):
        return [f"expected an object such as {{'say': '...'}}, got {move!r}"]
    problems = [
        f"unknown key {key!r}; expected one of {sorted(_MOVE_KEYS)}" for key in move if key not in _MOVE_KEYS
    ]
    kinds = [k for k in ("call", "json", "fail") if k in move]
    if len(kinds) > 1:
        problems.append(f"holds {kinds}; a move is one of say, call (with optional say), json, fail")
    if not kinds and "say" not in move:
        problems.append("needs one of say, call, json, fail")
    if kinds and kinds[0] in ("json", "fail") and "say" in move:
        problems.append(f"say goes with call only, not with {kinds[0]}")
    for key in ("say", "fail"):
        if key in move and not isinstance(move[key], str):
            problems.append(f"{key} must be a string, got {move[key]!r}")
    delay = move.get("delay_s", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0 or math.isnan(delay):
        problems.append(f"delay_s must be a non-negative number of seconds, got {delay!r}")
    if "call" in move:
        problems.extend(_call_problems(move["call"]))
    return problems


def _call_problems(calls: Any) -> list[str]:
    if not isinstance(calls, list) or not calls:
        return [f'call must be a non-empty list of {{"name": ..., "arguments": {{...}}}}, got {calls!r}']
    problems: list[str] = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            problems.append(f"call {i}: needs a string name, got {call!r}")
            continue
        problems.extend(
            f"call {i}: unknown key {k!r}; expected name, arguments" for k in call if k not in _CALL_KEYS
        )
        if not isinstance(call.get("arguments", {}), dict | str):
            problems.append(f"call {i}: arguments must be an object or a string, got {call['arguments']!r}")
    return problems


# ---- placeholders --------------------------------------------------------------------------------


def _placeholders(msgs: list[Any]) -> dict[str, str]:
    last_assistant = max((i for i, m in enumerate(msgs) if m.role == "assistant"), default=-1)
    results = [_text(m.content) for m in msgs[last_assistant + 1 :] if m.role == "tool"]
    system = [_text(m.content) for m in msgs if m.role in ("system", "developer")]
    return {
        "{tool_results}": " | ".join(results),
        "{last_user}": _last_user(msgs),
        "{system}": "\n".join(system),
    }


def _substitute(text: str, values: dict[str, str]) -> str:
    # plain replacement, not str.format: scripted text may hold other braces (JSON, code)
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _arguments(arguments: Any, values: dict[str, str]) -> str:
    if isinstance(arguments, str):
        return arguments

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _substitute(value, values)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return json.dumps(walk(arguments))


def _last_user(msgs: list[Any]) -> str:
    for message in reversed(msgs):
        if message.role == "user":
            text = _text(message.content)
            span = _script_span(text)
            if span is not None:
                text = text[: span[0]] + text[span[1] :]
            return text.strip()
    return ""


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.text for part in content if getattr(part, "text", None) is not None)


# ---- answers on the wire -------------------------------------------------------------------------


async def _chunks(
    cid: str,
    created: int,
    model: str,
    answer: _Answer,
    usage: OpenAIChatCompletionUsage | None,
    entry: dict[str, Any],
) -> AsyncIterator[OpenAIChatCompletionChunk]:
    """The answer as chunks; ``entry["stream_end"]`` says whether the caller read it all or closed it."""
    entry["stream_end"] = "open"
    try:
        async for piece in _chunk_stream(cid, created, model, answer, usage):
            yield piece
    except BaseException:  # closed (GeneratorExit) or cancelled while the caller waited
        entry["stream_end"] = "closed"
        raise
    entry["stream_end"] = "finished"


async def _chunk_stream(
    cid: str, created: int, model: str, answer: _Answer, usage: OpenAIChatCompletionUsage | None
) -> AsyncIterator[OpenAIChatCompletionChunk]:
    def chunk(delta: OpenAIChoiceDelta, finish_reason: Any = None) -> OpenAIChatCompletionChunk:
        choice = OpenAIChunkChoice(index=0, delta=delta, finish_reason=finish_reason)
        return OpenAIChatCompletionChunk(id=cid, created=created, model=model, choices=[choice])

    deltas: list[OpenAIChoiceDelta] = []
    if answer.content or not answer.tool_calls:
        words = answer.content.split(" ")
        deltas += [OpenAIChoiceDelta(content=w if i == 0 else " " + w) for i, w in enumerate(words)]
    for index, call in enumerate(answer.tool_calls):
        head = OpenAIChoiceDeltaToolCallFunction(name=call.function.name, arguments="")
        deltas.append(
            OpenAIChoiceDelta(
                tool_calls=[
                    OpenAIChoiceDeltaToolCall(index=index, id=call.id, type="function", function=head)
                ]
            )
        )
        deltas += [
            OpenAIChoiceDelta(
                tool_calls=[
                    OpenAIChoiceDeltaToolCall(
                        index=index, function=OpenAIChoiceDeltaToolCallFunction(arguments=piece)
                    )
                ]
            )
            for piece in _pieces(call.function.arguments)
        ]
    deltas[0].role = "assistant"
    for delta in deltas:
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        yield chunk(delta)
    yield chunk(OpenAIChoiceDelta(), answer.finish_reason)
    if usage is not None:
        yield OpenAIChatCompletionChunk(id=cid, created=created, model=model, choices=[], usage=usage)


def _pieces(text: str) -> list[str]:
    """``text`` in two or three pieces (fewer only when it is shorter), as engines stream arguments."""
    size = max(1, math.ceil(len(text) / 3))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _usage(msgs: list[Any], answer: _Answer) -> OpenAIChatCompletionUsage:
    prompt = sum(len(_text(m.content).split()) for m in msgs)
    completion = len(answer.content.split()) + sum(
        len(c.function.arguments.split()) + 1 for c in answer.tool_calls
    )
    return OpenAIChatCompletionUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


# ---- request helpers -----------------------------------------------------------------------------


def _validated(adapter: TypeAdapter[Any], value: Any, param: str) -> Any:
    """``value`` checked against the wire type; a mismatch is a 400.

    Real providers read typed fields (``stream_options.include_usage``), so a dict from an in-process
    caller (the HTTP layer types what clients send; an in-process caller must do it itself) fails here
    as it would there.
    """
    for part in value if isinstance(value, list) else [value]:
        if isinstance(part, dict):
            raise TypeError(f"{param}: got a dict; in-process callers must pass the typed wire objects")
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join([param, *(str(part) for part in error["loc"])])
        raise InvalidRequestError(f"{where}: {error['msg']}", param=param) from None


def _tool_name(tool: Any) -> str:
    return str(tool.function.name if tool.type == "function" else tool.custom.name)


def _dumped(value: Any) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value


async def create(config: ScriptedInferenceConfig, deps: dict[Any, Any]) -> ScriptedInference:
    return ScriptedInference(config)
