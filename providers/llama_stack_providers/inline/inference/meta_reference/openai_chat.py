"""``/v1/chat/completions`` for one served model: render, generate (``n`` choices), answer whole or streamed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from llama_stack_api import InvalidRequestError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionMessage,
    OpenAIChatCompletionToolCall,
    OpenAIChatCompletionToolCallFunction,
    OpenAIChatCompletionUsage,
    OpenAIChoice,
    OpenAIChoiceDelta,
    OpenAIChoiceDeltaToolCall,
    OpenAIChoiceDeltaToolCallFunction,
    OpenAIChunkChoice,
    OpenAIFinishReason,
)

from .answers import AnswerAssembler, FinalAnswer
from .chat_format import ChatPrompt
from .generation import TokenLogprob, generate, sampling_options, token_budget
from .logprobs import chat_logprobs
from .messages import ChatMessage, FunctionTool, ToolChoice
from .sampling import Sampling
from .served_model import ServedModel


@dataclass
class ChatRequest:
    """A chat request after validation: plain messages, the tools shown, sampling."""

    model: str
    messages: list[ChatMessage]
    tools: list[FunctionTool]
    tool_choice: ToolChoice
    sampling: Sampling
    tool_prompt_format: str | None = None
    include_usage: bool = False
    parallel_tool_calls: bool = True


async def chat_completion(
    served: ServedModel, request: ChatRequest, *, stream: bool
) -> OpenAIChatCompletion | AsyncIterator[OpenAIChatCompletionChunk]:
    """The whole completion, or (``stream``) a chunk iterator; prompt problems raise before streaming starts."""
    if served.chat_format is None:
        raise InvalidRequestError(
            f"model {request.model!r} has no chat template, so it cannot chat; use /v1/completions, or set "
            "chat_format: llama3 in the provider config if it is a Llama 3 model",
            param="model",
        )
    chat_format = served.chat_format
    prompt = await asyncio.to_thread(
        chat_format.encode,
        request.messages,
        request.tools,
        request.tool_choice,
        tool_prompt_format=request.tool_prompt_format,
    )
    budget = token_budget(len(prompt.token_ids), served.max_seq_len, request.sampling.max_tokens)
    if stream:
        return _stream(served, request, prompt, budget)
    answers = await asyncio.gather(
        *(
            _answer(served, prompt, request.sampling.for_choice(i), budget, request.parallel_tool_calls)
            for i in range(request.sampling.n)
        )
    )
    completion_tokens = sum(tokens for _, tokens in answers)
    return OpenAIChatCompletion(
        id=_completion_id(),
        created=int(time.time()),
        model=request.model,
        choices=[
            OpenAIChoice(
                index=i,
                message=OpenAIChatCompletionMessage(
                    content=answer.text if answer.text or not answer.tool_calls else None,
                    tool_calls=[
                        OpenAIChatCompletionToolCall(
                            id=call.id,
                            function=OpenAIChatCompletionToolCallFunction(
                                name=call.name, arguments=call.arguments
                            ),
                        )
                        for call in answer.tool_calls
                    ]
                    or None,
                ),
                finish_reason=_finish(answer.finish_reason),
                logprobs=chat_logprobs(served.tokenizer, answer.logprobs)
                if request.sampling.logprobs is not None
                else None,
            )
            for i, (answer, _) in enumerate(answers)
        ],
        usage=_usage(len(prompt.token_ids), completion_tokens),
    )


async def _answer(
    served: ServedModel, prompt: ChatPrompt, sampling: Sampling, budget: int, parallel_tool_calls: bool
) -> tuple[FinalAnswer, int]:
    assembler = AnswerAssembler(prompt, parallel_tool_calls=parallel_tool_calls)
    text: list[str] = []
    logprobs: list[TokenLogprob] = []
    final = FinalAnswer(finish_reason="length")
    async with aclosing(
        generate(
            served.engine,
            served.tokenizer,
            prompt.token_ids,
            sampling_options(sampling, budget),
            stop_token_ids=prompt.stop_token_ids,
            stop_strings=sampling.stop,
        )
    ) as pieces:
        async for piece in pieces:
            shown = assembler.feed(piece)
            text.append(shown.text)
            logprobs.extend(shown.logprobs)
            if piece.finish_reason is not None:
                final = assembler.finish(piece.finish_reason)
    final.text = "".join(text) + final.text
    final.logprobs = logprobs + final.logprobs
    return final, assembler.completion_tokens


async def _stream(
    served: ServedModel, request: ChatRequest, prompt: ChatPrompt, budget: int
) -> AsyncIterator[OpenAIChatCompletionChunk]:
    # choices are generated one after another: a stream's chunks stay in order per choice
    cid, created = _completion_id(), int(time.time())
    want_logprobs = request.sampling.logprobs is not None
    completion_tokens = 0

    def chunk(
        index: int,
        delta: OpenAIChoiceDelta,
        finish: str | None = None,
        logprobs: list[TokenLogprob] | None = None,
    ) -> OpenAIChatCompletionChunk:
        return OpenAIChatCompletionChunk(
            id=cid,
            created=created,
            model=request.model,
            choices=[
                OpenAIChunkChoice(
                    index=index,
                    delta=delta,
                    finish_reason=_finish(finish) if finish else None,
                    logprobs=chat_logprobs(served.tokenizer, logprobs)
                    if want_logprobs and logprobs
                    else None,
                )
            ],
        )

    for index in range(request.sampling.n):
        sampling = request.sampling.for_choice(index)
        assembler = AnswerAssembler(prompt, parallel_tool_calls=request.parallel_tool_calls)
        final = FinalAnswer(finish_reason="length")
        yield chunk(index, OpenAIChoiceDelta(role="assistant", content=""))
        async with aclosing(
            generate(
                served.engine,
                served.tokenizer,
                prompt.token_ids,
                sampling_options(sampling, budget),
                stop_token_ids=prompt.stop_token_ids,
                stop_strings=sampling.stop,
            )
        ) as pieces:
            async for piece in pieces:
                shown = assembler.feed(piece)
                if shown.text or (want_logprobs and shown.logprobs):
                    yield chunk(index, OpenAIChoiceDelta(content=shown.text), logprobs=shown.logprobs)
                if piece.finish_reason is not None:
                    final = assembler.finish(piece.finish_reason)
        completion_tokens += assembler.completion_tokens
        if final.text or (want_logprobs and final.logprobs):
            yield chunk(index, OpenAIChoiceDelta(content=final.text), logprobs=final.logprobs)
        if final.tool_calls:
            yield chunk(index, OpenAIChoiceDelta(tool_calls=_delta_calls(final)))
        yield chunk(index, OpenAIChoiceDelta(), final.finish_reason)
    if request.include_usage:
        yield OpenAIChatCompletionChunk(
            id=cid,
            created=created,
            model=request.model,
            choices=[],
            usage=_usage(len(prompt.token_ids), completion_tokens),
        )


def _delta_calls(final: FinalAnswer) -> list[OpenAIChoiceDeltaToolCall]:
    return [
        OpenAIChoiceDeltaToolCall(
            index=i,
            id=call.id,
            type="function",
            function=OpenAIChoiceDeltaToolCallFunction(name=call.name, arguments=call.arguments),
        )
        for i, call in enumerate(final.tool_calls)
    ]


def _finish(reason: str) -> OpenAIFinishReason:
    if reason in ("length", "tool_calls"):
        return reason  # type: ignore[return-value]
    return "stop"


def _usage(prompt_tokens: int, completion_tokens: int) -> OpenAIChatCompletionUsage:
    return OpenAIChatCompletionUsage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
