"""A scripted stand-in for the meta-reference engine's ``GenerationScheduler``, and a served model around it.

``ScriptedEngine`` replays answers given as text (or token ids) exactly as the
real scheduler streams them: one ``GeneratedToken`` per token, the stop token
last with ``finish_reason="stop"``, ``"length"`` when ``max_new_tokens`` runs
out. It records every request and whether its stream was closed, so tests can
check that a stop string frees the engine slot.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tokenizers import Tokenizer as HFBackend
from tokenizers import decoders, models

from llama_stack_providers.inline.inference.meta_reference.chat_format import ChatFormat, Llama3ChatFormat
from llama_stack_providers.inline.inference.meta_reference.engine import (
    ContextLengthError,
    GeneratedToken,
    SamplingOptions,
)
from llama_stack_providers.inline.inference.meta_reference.served_model import ServedModel
from llama_stack_providers.inline.inference.meta_reference.tokenization import (
    HFTokenizer,
    Llama3Tokenizer,
    Tokenizer,
)


@dataclass
class StreamCall:
    prompt_ids: list[int]
    options: SamplingOptions
    stop_token_ids: list[int]
    yielded: int = 0
    closed: bool = False


@dataclass
class ScriptedEngine:
    """Answers each ``stream`` call with the next script (the last one repeats).

    A script is text (tokenized with ``parse_special``, so ``<|python_tag|>``
    is the special token) or a list of token ids; ``end_token`` is appended.
    Every token gets ``logprob`` and, when asked, alternatives with lower ones.
    """

    tokenizer: Tokenizer
    scripts: list[str | list[int]]
    end_token: int | None = None
    max_seq_len: int = 4096
    logprob: float = -0.25
    delay_s: float = 0.0
    calls: list[StreamCall] = field(default_factory=list)

    def _tokens(self, index: int) -> list[int]:
        script = self.scripts[min(index, len(self.scripts) - 1)]
        ids = self.tokenizer.encode(script, parse_special=True) if isinstance(script, str) else list(script)
        return ids + ([self.end_token] if self.end_token is not None else [])

    async def stream(
        self, prompt_ids: Sequence[int], options: SamplingOptions, stop_token_ids: Sequence[int]
    ) -> AsyncIterator[GeneratedToken]:
        if len(prompt_ids) >= self.max_seq_len:
            raise ContextLengthError(len(prompt_ids), self.max_seq_len)
        call = StreamCall(list(prompt_ids), options, list(stop_token_ids))
        tokens = self._tokens(len(self.calls))
        self.calls.append(call)
        try:
            for position, token in enumerate(tokens):
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                finish = None
                if token in stop_token_ids:
                    finish = "stop"
                elif position + 1 >= options.max_new_tokens or position + 1 == len(tokens):
                    finish = "length"
                top = None
                if options.logprobs:
                    top = [(token, self.logprob)] + [
                        (token + k, self.logprob - k) for k in range(1, options.logprobs)
                    ]
                call.yielded += 1
                yield GeneratedToken(
                    token_id=token,
                    logprob=self.logprob if options.logprobs is not None else None,
                    top_logprobs=top,
                    finish_reason=finish,  # type: ignore[arg-type]
                )
                if finish is not None:
                    return
        finally:
            call.closed = True

    async def aclose(self) -> None:
        return None


@functools.cache
def _llama3_tokenizer() -> Llama3Tokenizer:
    return Llama3Tokenizer()


def llama3_served_model(
    scripts: list[str | list[int]],
    *,
    model_id: str = "tiny-llama3",
    max_seq_len: int = 4096,
    **engine: object,
) -> tuple[ServedModel, ScriptedEngine]:
    """A served model with the real Llama 3 tokenizer and chat format, answering from ``scripts``."""
    tokenizer = _llama3_tokenizer()
    chat_format: ChatFormat = Llama3ChatFormat(tokenizer)
    eot = tokenizer.special_id("<|eot_id|>")
    fake = ScriptedEngine(tokenizer, scripts, end_token=eot, max_seq_len=max_seq_len, **engine)  # type: ignore[arg-type]
    served = ServedModel(
        model_id=model_id,
        tokenizer=tokenizer,
        chat_format=chat_format,
        engine=fake,
        max_seq_len=max_seq_len,
        stop_token_ids=[128001, 128008, 128009],
        add_bos=True,
        path=Path("/nonexistent/tiny-llama3"),
        source_format="meta",
    )
    return served, fake


def byte_fallback_tokenizer() -> HFTokenizer:
    """A tiny SentencePiece-style vocabulary, as Llama 2 / Mistral have: ``▁`` for spaces, ``<0xNN>`` byte fallback."""
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "▁h": 4, "i": 5, "▁hi": 6, "h": 7}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    model = models.BPE(vocab=vocab, merges=[("▁", "h"), ("▁h", "i")], byte_fallback=True, unk_token="<unk>")
    backend = HFBackend(model)
    backend.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    backend.add_special_tokens(["<s>", "</s>"])
    return HFTokenizer(backend, bos_id=1)
