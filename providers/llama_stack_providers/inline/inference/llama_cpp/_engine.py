"""The llama.cpp side: load a GGUF, render chat prompts, and generate token by token.

Generation runs its own loop over ``Llama.generate`` rather than
``create_completion``, so that it can stop between any two tokens (cancellation),
count tokens exactly (usage, context checks), hold back text that may start a
stop sequence, and record log probabilities through a logits processor —
llama-cpp-python's own logprobs need ``logits_all``, which keeps n_ctx × vocab
floats in memory (~800 MB for a 49k vocabulary at 4096 tokens).

Every method here blocks; the provider calls them on the model's worker thread.
This is the only module that imports ``llama_cpp``.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np
import numpy.typing as npt
from llama_cpp import llama_chat_format, llama_grammar

from llama_stack_api import InvalidRequestError

from ._types import (
    ChatPrompt,
    Finished,
    FinishReason,
    GenerationEvent,
    GenerationRequest,
    Grammar,
    Piece,
    Started,
    TokenLogprob,
    TopLogprob,
)
from .config import LlamaCppModelConfig

_RANDOM_SEED = llama_cpp.LLAMA_DEFAULT_SEED  # llama.cpp draws a fresh seed per generation


class ChatFormatError(ValueError):
    """The configured chat format cannot be used with this model."""


@dataclass(frozen=True)
class ModelInfo:
    context_length: int
    training_context_length: int | None
    architecture: str | None
    vocab_size: int
    embedding_dimension: int
    chat_template: str | None


class LlamaCppModel:
    """One loaded GGUF model; every method must run on the model's worker thread."""

    def __init__(self, config: LlamaCppModelConfig, path: Path, *, verbose: bool) -> None:
        self.config = config
        self.path = path
        embedding = config.model_type == "embedding"
        self.llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=config.n_ctx,
            n_batch=config.n_batch,
            n_ubatch=config.n_batch,
            n_threads=config.n_threads,
            n_threads_batch=config.n_threads,
            n_gpu_layers=config.n_gpu_layers,
            embedding=embedding,
            verbose=verbose,
        )
        metadata = self.llm.metadata
        arch = metadata.get("general.architecture")
        trained = metadata.get(f"{arch}.context_length")
        template = config.chat_template or metadata.get("tokenizer.chat_template")
        self.info = ModelInfo(
            context_length=self.llm.n_ctx(),
            training_context_length=int(trained) if trained and trained.isdigit() else None,
            architecture=arch,
            vocab_size=self.llm.n_vocab(),
            embedding_dimension=self.llm.n_embd(),
            chat_template=template if config.chat_format == "auto" else None,
        )
        self._formatter = None if embedding else self._chat_formatter(config, template)

    def close(self) -> None:
        self.llm.close()

    # --- prompts ---------------------------------------------------------------------------------

    def _chat_formatter(self, config: LlamaCppModelConfig, template: str | None) -> Any:
        if config.chat_format == "auto" or config.chat_template:
            if not template:
                raise ChatFormatError(
                    f"{self.path.name} has no chat template in its metadata; set chat_template to a "
                    f"Jinja template or chat_format to a llama.cpp format ({', '.join(_chat_formats())})"
                )
            model = self.llm._model  # the vocabulary lives on the private model object
            eos, bos = self.llm.token_eos(), self.llm.token_bos()
            return llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=model.token_get_text(eos) if eos != -1 else "",
                bos_token=model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos],
            )
        formatter = _named_formatter(config.chat_format)
        if formatter is None:
            raise ChatFormatError(
                f"chat_format {config.chat_format!r} is not a llama.cpp chat format this provider can use; "
                f"expected 'auto' or one of: {', '.join(_chat_formats())}"
            )
        return formatter

    def supports_tools_in_template(self) -> bool:
        """Whether the chat template renders ``tools`` itself (else the provider describes them)."""
        return bool(self.info.chat_template and "tools" in self.info.chat_template)

    def _prompt_tokens(self, prompt: str | list[int] | ChatPrompt) -> tuple[list[int], str, list[str]]:
        """Token ids, the prompt text, and the chat format's own stop strings."""
        if isinstance(prompt, list):
            bad = [t for t in prompt if not 0 <= t < self.info.vocab_size]
            if bad:
                raise InvalidRequestError(
                    f"token id {bad[0]} is outside this model's vocabulary (0..{self.info.vocab_size - 1})",
                    param="prompt",
                )
            return prompt, self.llm.detokenize(prompt).decode("utf-8", errors="replace"), []
        if isinstance(prompt, str):
            return self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False), prompt, []
        if self._formatter is None:
            raise InvalidRequestError(f"model {self.config.model_id!r} is an embedding model; it cannot chat")
        try:
            result = self._formatter(messages=prompt.messages, tools=prompt.tools)
        except Exception as exc:  # a template that rejects the conversation (e.g. role order) is bad input
            raise InvalidRequestError(
                f"the chat template of {self.config.model_id!r} cannot render these messages: {exc}",
                param="messages",
            ) from None
        stops = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        tokens = self.llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        return tokens, result.prompt, [s for s in stops if s]

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # --- generation ------------------------------------------------------------------------------

    def generate(
        self, request: GenerationRequest, cancelled: threading.Event
    ) -> Generator[GenerationEvent, None, None]:
        """``Started``, then ``Piece``s of new text, then ``Finished``; stops early once ``cancelled`` is set.

        Raises ``InvalidRequestError`` (before ``Started``) when the prompt and
        ``max_tokens`` do not fit the context window or a grammar is invalid.
        """
        prompt, prompt_text, template_stops = self._prompt_tokens(request.prompt)
        n_ctx = self.info.context_length
        if len(prompt) >= n_ctx:
            raise InvalidRequestError(
                f"the prompt is {len(prompt)} tokens but model {self.config.model_id!r} has a context window "
                f"of {n_ctx} tokens; shorten the prompt (or raise n_ctx in the provider config)",
                param="messages" if isinstance(request.prompt, ChatPrompt) else "prompt",
                code="context_length_exceeded",
            )
        max_tokens = request.max_tokens if request.max_tokens is not None else n_ctx - len(prompt)
        if len(prompt) + max_tokens > n_ctx:
            raise InvalidRequestError(
                f"the prompt is {len(prompt)} tokens and max_tokens asks for {max_tokens} more, but model "
                f"{self.config.model_id!r} has a context window of {n_ctx} tokens; lower max_tokens to at "
                f"most {n_ctx - len(prompt)} or shorten the prompt",
                param="max_tokens",
                code="context_length_exceeded",
            )
        grammar = self._grammar(request.grammar)
        recorder = _LogprobRecorder(request.logprobs) if request.logprobs is not None else None
        processors = [p for p in (_bias_processor(request.sampling.logit_bias), recorder) if p is not None]
        sampling = request.sampling
        self.llm.set_seed(sampling.seed if sampling.seed is not None else _RANDOM_SEED)
        if sampling.seed is not None:
            # logits from reusing a cached prompt prefix differ in the last bits from a fresh
            # evaluation, enough to change a sample: a seeded request starts afresh to be repeatable
            self.llm.reset()  # type: ignore[no-untyped-call]  # unannotated in llama-cpp-python
        yield Started(prompt_tokens=len(prompt), prompt_text=prompt_text)
        if max_tokens == 0 or cancelled.is_set():
            yield Finished("length" if max_tokens == 0 else "cancelled", len(prompt), 0)
            return
        tokens = self.llm.generate(
            prompt,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            min_p=sampling.min_p,
            typical_p=sampling.typical_p,
            temp=sampling.temperature,
            repeat_penalty=sampling.repeat_penalty,
            frequency_penalty=sampling.frequency_penalty,
            presence_penalty=sampling.presence_penalty,
            logits_processor=llama_cpp.LogitsProcessorList(processors) if processors else None,
            grammar=grammar,
        )
        text = _StopScanner((*request.stop, *template_stops))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        logprobs: list[TokenLogprob] = []
        generated = 0
        reason: FinishReason = "length"
        try:
            for token in tokens:
                if cancelled.is_set():
                    reason = "cancelled"
                    break
                # end-of-generation tokens (EOS, <|im_end|>, <|eot_id|>, ...) come from the vocabulary,
                # which llama-cpp-python keeps on its private model object (its own loop reads it too)
                if llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token):
                    reason = "stop"
                    break
                generated += 1
                piece = self.llm.detokenize([token])
                if recorder is not None:
                    logprobs.append(recorder.entry(token, piece, self._token_piece))
                emit, stopped = text.feed(decoder.decode(piece))
                if emit or (stopped and logprobs):
                    yield Piece(emit, logprobs)
                    logprobs = []
                if stopped:
                    reason = "stop"
                    break
                if generated >= max_tokens:
                    break
        finally:
            tokens.close()
        if reason != "stop":
            rest = text.flush(decoder.decode(b"", final=True))
            if rest or logprobs:
                yield Piece(rest, logprobs)
        yield Finished(reason, len(prompt), generated)

    def _token_piece(self, token: int) -> bytes:
        return self.llm.detokenize([token], special=True)

    def _grammar(self, grammar: Grammar | None) -> Any:
        if grammar is None:
            return None
        try:
            if grammar.kind == "json":
                return llama_grammar.LlamaGrammar.from_string(llama_grammar.JSON_GBNF, verbose=False)
            if grammar.kind == "json_schema":
                return llama_grammar.LlamaGrammar.from_json_schema(grammar.source, verbose=False)
            return llama_grammar.LlamaGrammar.from_string(grammar.source, verbose=False)
        except Exception as exc:  # llama.cpp's grammar parser raises plain errors for bad input
            what = "JSON schema" if grammar.kind == "json_schema" else "grammar"
            raise InvalidRequestError(
                f"llama.cpp cannot use this {what}: {exc}", param="response_format"
            ) from None

    # --- embeddings ------------------------------------------------------------------------------

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """One L2-normalised vector per text, and the number of tokens read."""
        counts = [len(self.llm.tokenize(t.encode("utf-8"), add_bos=True, special=False)) for t in texts]
        n_ctx = self.info.context_length
        for i, count in enumerate(counts):
            if count > n_ctx:
                raise InvalidRequestError(
                    f"input[{i}] is {count} tokens but model {self.config.model_id!r} reads at most {n_ctx}",
                    param="input",
                    code="context_length_exceeded",
                )
        vectors = []
        for text in texts:
            raw = np.asarray(self.llm.embed(text, normalize=False, truncate=False), dtype=np.float64)
            if raw.ndim == 2:  # no pooling in the model: one vector per token, averaged here
                raw = raw.mean(axis=0)
            norm = float(np.linalg.norm(raw)) or 1.0
            vectors.append((raw / norm).tolist())
        return vectors, sum(counts)


class _StopScanner:
    """Accumulates generated text; releases it except a tail that may be the start of a stop string."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.text = ""
        self.emitted = 0

    def feed(self, new: str) -> tuple[str, bool]:
        """(text safe to emit now, whether a stop string was found)."""
        start = self.emitted
        self.text += new
        hits = [i for i in (self.text.find(s, start) for s in self.stops) if i >= 0]
        if hits:
            end = min(hits)
            self.emitted = len(self.text)
            return self.text[start:end], True
        safe = len(self.text) - self._partial_tail()
        self.emitted = max(start, safe)
        return self.text[start : self.emitted], False

    def flush(self, new: str) -> str:
        self.text += new
        rest = self.text[self.emitted :]
        self.emitted = len(self.text)
        return rest

    def _partial_tail(self) -> int:
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.text)), longest, -1):
                if self.text.endswith(stop[:size]):
                    longest = size
                    break
        return longest


class _LogprobRecorder:
    """A logits processor that keeps the log-softmax of the raw logits of the position being sampled.

    llama.cpp calls it once per generated token, right before sampling that
    token, so the distribution it saw belongs to the next token ``generate`` yields.
    """

    def __init__(self, top: int) -> None:
        self.top = top
        self._last: npt.NDArray[np.float64] | None = None

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        logits = scores.astype(np.float64)
        shifted = logits - logits.max()
        self._last = shifted - np.log(np.exp(shifted).sum())
        return scores

    def entry(self, token: int, piece: bytes, token_bytes: Any) -> TokenLogprob:
        last = self._last
        if last is None:  # cannot happen: the processor runs before every sampled token
            return TokenLogprob(_text(piece), list(piece), 0.0, [])
        top: list[TopLogprob] = []
        if self.top > 0:
            best = np.argpartition(-last, self.top)[: self.top]
            for candidate in sorted(best.tolist(), key=lambda t: -last[t]):
                raw: bytes = token_bytes(candidate)
                top.append(TopLogprob(_text(raw), list(raw), float(last[candidate])))
        return TokenLogprob(_text(piece), list(piece), float(last[token]), top)


def _bias_processor(bias: dict[int, float]) -> Any:
    if not bias:
        return None
    ids = np.array(list(bias), dtype=np.intc)
    values = np.array(list(bias.values()), dtype=np.single)

    def apply(input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        biased = scores.copy()
        biased[ids] += values
        return biased

    return apply


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _chat_formats() -> list[str]:
    return sorted(n for n in _registered_handlers() if _named_formatter(n) is not None)


def _registered_handlers() -> dict[str, Any]:
    registry: Any = llama_chat_format.LlamaChatCompletionHandlerRegistry  # an unannotated singleton class
    handlers: dict[str, Any] = registry()._chat_handlers
    return handlers


def _named_formatter(name: str) -> Any:
    """The formatter behind a registered llama.cpp chat format (``None`` for custom handlers).

    Formats registered with ``register_chat_format`` wrap a formatter function in
    a handler; handlers that run their own generation (functionary, llava, ...)
    have none, and this provider cannot use them.
    """
    handler = _registered_handlers().get(name)
    if handler is None or handler.__closure__ is None:
        return None
    cells = dict(zip(handler.__code__.co_freevars, handler.__closure__, strict=True))
    cell = cells.get("chat_formatter")
    return cell.cell_contents if cell is not None else None


def load_model(config: LlamaCppModelConfig, path: Path, *, verbose: bool) -> LlamaCppModel:
    """Load ``path`` with llama.cpp (blocking); ``ChatFormatError`` / ``ValueError`` when it cannot."""
    return LlamaCppModel(config, path, verbose=verbose)
