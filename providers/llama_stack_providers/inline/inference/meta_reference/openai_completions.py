"""``/v1/completions`` for one served model: raw prompts (text or token ids, one or a batch), whole or streamed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field

from llama_stack_api import InvalidRequestError
from llama_stack_api.inference import (
    OpenAIChatCompletionUsage,
    OpenAICompletion,
    OpenAICompletionChoice,
    OpenAICompletionPrompt,
)

from .generation import TokenLogprob, generate, sampling_options, token_budget
from .logprobs import completion_logprobs
from .sampling import Sampling
from .served_model import ServedModel


@dataclass
class CompletionRequest:
    model: str
    prompt: OpenAICompletionPrompt
    sampling: Sampling
    echo: bool = False
    include_usage: bool = False


@dataclass
class _Text:
    text: str = ""
    logprobs: list[TokenLogprob] = field(default_factory=list)
    finish_reason: str = "length"
    tokens: int = 0


def _prompts(prompt: OpenAICompletionPrompt) -> list[str | list[int]]:
    if isinstance(prompt, str):
        return [prompt]
    if not prompt:
        raise InvalidRequestError("prompt must not be empty", param="prompt")
    if all(isinstance(p, int) and not isinstance(p, bool) for p in prompt):
        return [[int(p) for p in prompt]]  # type: ignore[arg-type]
    prompts: list[str | list[int]] = []
    for p in prompt:
        if isinstance(p, str):
            prompts.append(p)
        elif isinstance(p, list) and p and all(isinstance(t, int) for t in p):
            prompts.append([int(t) for t in p])
        else:
            raise InvalidRequestError("prompt must be text, token ids, or a list of either", param="prompt")
    return prompts


def _encode(served: ServedModel, prompt: str | list[int]) -> list[int]:
    if isinstance(prompt, str):
        # users of raw completions often write a chat format by hand: its special tokens count as such
        return served.tokenizer.encode(prompt, add_bos=served.add_bos, parse_special=True)
    bad = [t for t in prompt if not 0 <= t < served.tokenizer.vocab_size]
    if bad:
        raise InvalidRequestError(
            f"prompt token id {bad[0]} is outside the vocabulary (0..{served.tokenizer.vocab_size - 1})",
            param="prompt",
        )
    return list(prompt)


async def completion(
    served: ServedModel, request: CompletionRequest, *, stream: bool
) -> OpenAICompletion | AsyncIterator[OpenAICompletion]:
    """Choices ``prompt_index * n + i``; prompt problems (too long, bad ids) raise before streaming starts."""
    prompts = _prompts(request.prompt)
    encoded = await asyncio.to_thread(lambda: [_encode(served, p) for p in prompts])
    budgets = [token_budget(len(ids), served.max_seq_len, request.sampling.max_tokens) for ids in encoded]
    echoes = (
        [p if isinstance(p, str) else served.tokenizer.decode(p) for p in prompts] if request.echo else None
    )
    prompt_tokens = sum(len(ids) for ids in encoded)
    jobs = [
        (p * request.sampling.n + i, ids, budget, request.sampling.for_choice(i))
        for p, (ids, budget) in enumerate(zip(encoded, budgets, strict=True))
        for i in range(request.sampling.n)
    ]
    cid, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
    if stream:
        return _stream(served, request, jobs, echoes, prompt_tokens, cid, created)
    results = await asyncio.gather(*(_complete(served, ids, s, budget) for _, ids, budget, s in jobs))
    choices = []
    for (index, _, _, _), result in zip(jobs, results, strict=True):
        prefix = echoes[index // request.sampling.n] if echoes else ""
        choices.append(
            OpenAICompletionChoice(
                index=index,
                text=prefix + result.text,
                finish_reason="length" if result.finish_reason == "length" else "stop",
                logprobs=completion_logprobs(served.tokenizer, result.logprobs, text_offset=len(prefix))
                if request.sampling.logprobs is not None
                else None,
            )
        )
    completion_tokens = sum(r.tokens for r in results)
    return OpenAICompletion(
        id=cid,
        created=created,
        model=request.model,
        choices=choices,
        usage=_usage(prompt_tokens, completion_tokens),
    )


async def _complete(served: ServedModel, ids: list[int], sampling: Sampling, budget: int) -> _Text:
    result = _Text()
    async with aclosing(
        generate(
            served.engine,
            served.tokenizer,
            ids,
            sampling_options(sampling, budget),
            stop_token_ids=served.stop_token_ids,
            stop_strings=sampling.stop,
        )
    ) as pieces:
        async for piece in pieces:
            result.text += piece.text
            result.logprobs.extend(piece.logprobs)
            result.tokens += len(piece.token_ids)
            if piece.finish_reason is not None:
                result.finish_reason = piece.finish_reason
    return result


async def _stream(
    served: ServedModel,
    request: CompletionRequest,
    jobs: Sequence[tuple[int, list[int], int, Sampling]],
    echoes: list[str] | None,
    prompt_tokens: int,
    cid: str,
    created: int,
) -> AsyncIterator[OpenAICompletion]:
    want_logprobs = request.sampling.logprobs is not None
    completion_tokens = 0

    def chunk(
        index: int, text: str, logprobs: list[TokenLogprob], finish: str | None, offset: int
    ) -> OpenAICompletion:
        return OpenAICompletion(
            id=cid,
            created=created,
            model=request.model,
            choices=[
                OpenAICompletionChoice(
                    index=index,
                    text=text,
                    finish_reason=("length" if finish == "length" else "stop") if finish else None,
                    logprobs=completion_logprobs(served.tokenizer, logprobs, text_offset=offset)
                    if want_logprobs
                    else None,
                )
            ],
        )

    for index, ids, budget, sampling in jobs:
        offset = 0
        if echoes:
            echoed = echoes[index // request.sampling.n]
            yield chunk(index, echoed, [], None, 0)
            offset = len(echoed)
        async with aclosing(
            generate(
                served.engine,
                served.tokenizer,
                ids,
                sampling_options(sampling, budget),
                stop_token_ids=served.stop_token_ids,
                stop_strings=sampling.stop,
            )
        ) as pieces:
            async for piece in pieces:
                completion_tokens += len(piece.token_ids)
                if piece.text or piece.finish_reason or (want_logprobs and piece.logprobs):
                    yield chunk(index, piece.text, piece.logprobs, piece.finish_reason, offset)
                offset += len(piece.text)
    if request.include_usage:
        yield OpenAICompletion(
            id=cid,
            created=created,
            model=request.model,
            choices=[],
            usage=_usage(prompt_tokens, completion_tokens),
        )


def _usage(prompt_tokens: int, completion_tokens: int) -> OpenAIChatCompletionUsage:
    return OpenAIChatCompletionUsage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )
