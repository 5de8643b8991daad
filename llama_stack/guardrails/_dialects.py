"""The four generation methods as guardrails see them: the conversation in, the text out, a refusal.

Each ``Dialect`` knows one method's shapes (OpenAI chat, OpenAI completion,
native chat, native completion): how to read the conversation a shield
should judge from its arguments, the text of each choice in an answer or a
stream chunk, and how to say "blocked" in that method's own response type.
Chat refusals use OpenAI's ``refusal`` field and ``finish_reason:
content_filter``; text completions, which have no refusal field, carry the
refusal as text when nothing was sent yet.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from llama_stack_api import InvalidRequestError
from llama_stack_api.inference import (
    ChatCompletionResponse,
    ChatCompletionResponseEvent,
    ChatCompletionResponseEventType,
    ChatCompletionResponseStreamChunk,
    CompletionMessage,
    CompletionResponse,
    CompletionResponseStreamChunk,
    Message,
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionMessage,
    OpenAIChoice,
    OpenAIChoiceDelta,
    OpenAIChunkChoice,
    OpenAICompletion,
    OpenAICompletionChoice,
    StopReason,
    SystemMessage,
    TextDelta,
    ToolResponseMessage,
    UserMessage,
)

from ._shields import Block


@dataclass(frozen=True)
class Dialect:
    model_key: str
    conversation: Callable[[Mapping[str, Any]], list[Message]]
    answer_texts: Callable[[Any], dict[int, str]]
    chunk_texts: Callable[[Any], dict[int, str]]
    # (the provider's answer or None when the input was blocked, model id, block, per-choice verdicts)
    blocked_answer: Callable[[Any, str, Block, set[int]], Any]
    # (the last chunk seen or None, model id, block, choice indexes, whether anything was sent) -> chunks
    blocked_chunks: Callable[[Any, str, Block, set[int], bool], list[Any]]


def with_answer(conversation: list[Message], text: str) -> list[Message]:
    """The conversation with the model's answer (so far) as its last, assistant, message."""
    return [*conversation, CompletionMessage(content=text, stop_reason=StopReason.end_of_turn)]


def _text(content: Any) -> str:
    """The text of any content shape: a string, content parts (objects or dicts), or None."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(filter(None, (_text(part) for part in content)))
    if isinstance(content, dict):
        return str(content.get("text") or content.get("refusal") or "")
    return str(getattr(content, "text", None) or getattr(content, "refusal", None) or "")


# --- OpenAI chat completions -------------------------------------------------------------------


def _openai_conversation(arguments: Mapping[str, Any]) -> list[Message]:
    converted: list[Message] = []
    for message in arguments["messages"]:
        role = message.role
        if role in ("system", "developer"):
            converted.append(SystemMessage(content=_text(message.content)))
        elif role == "user":
            converted.append(UserMessage(content=_text(message.content)))
        elif role == "assistant":
            text = _text(message.content)
            calls = " ".join(c.function.arguments for c in message.tool_calls or [] if hasattr(c, "function"))
            converted.append(
                CompletionMessage(
                    content=" ".join(filter(None, (text, calls))), stop_reason=StopReason.end_of_turn
                )
            )
        else:  # tool / function results
            call_id = getattr(message, "tool_call_id", None) or getattr(message, "name", "") or ""
            converted.append(ToolResponseMessage(call_id=call_id, content=_text(message.content)))
    return converted


def _openai_answer_texts(answer: OpenAIChatCompletion) -> dict[int, str]:
    texts: dict[int, str] = {}
    for choice in answer.choices:
        calls = [c.function.arguments for c in choice.message.tool_calls or [] if hasattr(c, "function")]
        texts[choice.index] = " ".join(filter(None, (choice.message.content or "", *calls)))
    return texts


def _openai_chunk_texts(chunk: OpenAIChatCompletionChunk) -> dict[int, str]:
    texts: dict[int, str] = {}
    for choice in chunk.choices:
        parts = [choice.delta.content or ""]
        for call in choice.delta.tool_calls or []:
            if call.function is not None and call.function.arguments:
                parts.append(call.function.arguments)
        texts[choice.index] = "".join(parts)
    return texts


def _openai_blocked_answer(
    answer: OpenAIChatCompletion | None, model: str, block: Block, indexes: set[int]
) -> OpenAIChatCompletion:
    refused = OpenAIChatCompletionMessage(content=block.refusal, refusal=block.refusal)
    if answer is None:
        return OpenAIChatCompletion(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            created=int(time.time()),
            model=model,
            choices=[OpenAIChoice(index=0, message=refused, finish_reason="content_filter")],
            moderation=block.details(),
        )
    choices = [
        OpenAIChoice(index=c.index, message=refused, finish_reason="content_filter")
        if c.index in indexes
        else c
        for c in answer.choices
    ]
    return answer.model_copy(update={"choices": choices, "moderation": block.details()})


def _openai_blocked_chunks(
    last: OpenAIChatCompletionChunk | None, model: str, block: Block, indexes: set[int], sent: bool
) -> list[OpenAIChatCompletionChunk]:
    choices = [
        OpenAIChunkChoice(
            index=index,
            delta=OpenAIChoiceDelta(role=None if sent else "assistant", refusal=block.refusal),
            finish_reason="content_filter",
        )
        for index in sorted(indexes or {0})
    ]
    return [
        OpenAIChatCompletionChunk(
            id=last.id if last is not None else f"chatcmpl-{uuid.uuid4().hex}",
            created=last.created if last is not None else int(time.time()),
            model=model,
            choices=choices,
            moderation=block.details(),
        )
    ]


OPENAI_CHAT = Dialect(
    model_key="model",
    conversation=_openai_conversation,
    answer_texts=_openai_answer_texts,
    chunk_texts=_openai_chunk_texts,
    blocked_answer=_openai_blocked_answer,
    blocked_chunks=_openai_blocked_chunks,
)


# --- OpenAI text completions -------------------------------------------------------------------


def _prompt_conversation(arguments: Mapping[str, Any]) -> list[Message]:
    prompt = arguments["prompt"]
    if isinstance(prompt, str):
        return [UserMessage(content=prompt)]
    if all(isinstance(p, str) for p in prompt):
        return [UserMessage(content="\n".join(prompt))]
    raise InvalidRequestError(
        "this model has guardrails, which judge text: send the prompt as text, not token ids", param="prompt"
    )


def _completion_texts(answer: OpenAICompletion) -> dict[int, str]:
    return {choice.index: choice.text for choice in answer.choices}


def _completion_blocked_answer(
    answer: OpenAICompletion | None, model: str, block: Block, indexes: set[int]
) -> OpenAICompletion:
    if answer is None:
        return OpenAICompletion(
            id=f"cmpl-{uuid.uuid4().hex}",
            created=int(time.time()),
            model=model,
            choices=[OpenAICompletionChoice(index=0, text=block.refusal, finish_reason="content_filter")],
        )
    choices = [
        OpenAICompletionChoice(index=c.index, text=block.refusal, finish_reason="content_filter")
        if c.index in indexes
        else c
        for c in answer.choices
    ]
    return answer.model_copy(update={"choices": choices})


def _completion_blocked_chunks(
    last: OpenAICompletion | None, model: str, block: Block, indexes: set[int], sent: bool
) -> list[OpenAICompletion]:
    return [
        OpenAICompletion(
            id=last.id if last is not None else f"cmpl-{uuid.uuid4().hex}",
            created=last.created if last is not None else int(time.time()),
            model=model,
            choices=[
                OpenAICompletionChoice(
                    index=i, text="" if sent else block.refusal, finish_reason="content_filter"
                )
                for i in sorted(indexes or {0})
            ],
        )
    ]


OPENAI_COMPLETION = Dialect(
    model_key="model",
    conversation=_prompt_conversation,
    answer_texts=_completion_texts,
    chunk_texts=_completion_texts,
    blocked_answer=_completion_blocked_answer,
    blocked_chunks=_completion_blocked_chunks,
)


# --- native chat completion (llama-stack-client 0.2.x) -----------------------------------------


def _native_conversation(arguments: Mapping[str, Any]) -> list[Message]:
    return list(arguments["messages"])


def _native_chat_texts(answer: ChatCompletionResponse) -> dict[int, str]:
    message = answer.completion_message
    calls = [c.arguments_json or str(c.arguments) for c in message.tool_calls or []]
    return {0: " ".join(filter(None, (_text(message.content), *calls)))}


def _native_chat_chunk_texts(chunk: ChatCompletionResponseStreamChunk) -> dict[int, str]:
    delta = chunk.event.delta
    if isinstance(delta, TextDelta):
        return {0: delta.text}
    tool_call = getattr(delta, "tool_call", None)
    return {0: tool_call if isinstance(tool_call, str) else ""}


def _native_chat_blocked_answer(
    answer: ChatCompletionResponse | None, model: str, block: Block, indexes: set[int]
) -> ChatCompletionResponse:
    return ChatCompletionResponse(
        completion_message=CompletionMessage(content=block.refusal, stop_reason=StopReason.end_of_turn)
    )


def _native_chat_blocked_chunks(
    last: Any, model: str, block: Block, indexes: set[int], sent: bool
) -> list[ChatCompletionResponseStreamChunk]:
    def event(kind: ChatCompletionResponseEventType, text: str) -> ChatCompletionResponseStreamChunk:
        stop = StopReason.end_of_turn if kind == ChatCompletionResponseEventType.complete else None
        return ChatCompletionResponseStreamChunk(
            event=ChatCompletionResponseEvent(event_type=kind, delta=TextDelta(text=text), stop_reason=stop)
        )

    chunks = [] if sent else [event(ChatCompletionResponseEventType.start, "")]
    return [*chunks, event(ChatCompletionResponseEventType.complete, block.refusal)]


NATIVE_CHAT = Dialect(
    model_key="model_id",
    conversation=_native_conversation,
    answer_texts=_native_chat_texts,
    chunk_texts=_native_chat_chunk_texts,
    blocked_answer=_native_chat_blocked_answer,
    blocked_chunks=_native_chat_blocked_chunks,
)


# --- native text completion --------------------------------------------------------------------


def _native_prompt_conversation(arguments: Mapping[str, Any]) -> list[Message]:
    return [UserMessage(content=_text(arguments["content"]))]


def _native_completion_blocked_answer(
    answer: CompletionResponse | None, model: str, block: Block, indexes: set[int]
) -> CompletionResponse:
    return CompletionResponse(content=block.refusal, stop_reason=StopReason.end_of_turn)


def _native_completion_blocked_chunks(
    last: Any, model: str, block: Block, indexes: set[int], sent: bool
) -> list[CompletionResponseStreamChunk]:
    return [CompletionResponseStreamChunk(delta=block.refusal, stop_reason=StopReason.end_of_turn)]


NATIVE_COMPLETION = Dialect(
    model_key="model_id",
    conversation=_native_prompt_conversation,
    answer_texts=lambda answer: {0: answer.content},
    chunk_texts=lambda chunk: {0: chunk.delta},
    blocked_answer=_native_completion_blocked_answer,
    blocked_chunks=_native_completion_blocked_chunks,
)

DIALECTS: dict[str, Dialect] = {
    "openai_chat_completion": OPENAI_CHAT,
    "openai_completion": OPENAI_COMPLETION,
    "chat_completion": NATIVE_CHAT,
    "completion": NATIVE_COMPLETION,
}
"""The guarded methods of ``Inference``, by name; the others (embeddings) pass straight through."""
