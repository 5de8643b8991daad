"""What the provider asks the engine for, and the events a generation yields (no llama_cpp here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True)
class Sampling:
    """Sampling settings in OpenAI's sense: the defaults sample the model's distribution unchanged.

    ``temperature == 0`` is greedy decoding. ``top_k == 0``, ``min_p == 0``,
    ``typical_p == 1`` and ``repeat_penalty == 1`` switch those filters off.
    """

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    typical_p: float = 1.0
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    seed: int | None = None
    logit_bias: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Grammar:
    """A constraint on the output: GBNF text, a JSON Schema, or any JSON value."""

    kind: Literal["gbnf", "json_schema", "json"]
    source: str = ""


@dataclass(frozen=True)
class ChatPrompt:
    """Messages (as chat templates expect them) to render with the model's chat format."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class GenerationRequest:
    """One generation: a prompt (text, token ids or chat messages) and how to continue it."""

    prompt: str | list[int] | ChatPrompt
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    sampling: Sampling = field(default_factory=Sampling)
    grammar: Grammar | None = None
    logprobs: int | None = None  # None: off; k: the chosen token's logprob and the k most likely


@dataclass(frozen=True)
class TopLogprob:
    token: str
    bytes: list[int]
    logprob: float


@dataclass(frozen=True)
class TokenLogprob:
    """A generated token with its log probability and the most likely alternatives at its position."""

    token: str
    bytes: list[int]
    logprob: float
    top: list[TopLogprob]


@dataclass(frozen=True)
class Started:
    """The prompt fits and generation begins; ``prompt_text`` is the rendered prompt."""

    prompt_tokens: int
    prompt_text: str


@dataclass(frozen=True)
class Piece:
    """New text, and the tokens generated since the previous piece (with logprobs when asked)."""

    text: str
    logprobs: list[TokenLogprob] = field(default_factory=list)


@dataclass(frozen=True)
class Finished:
    reason: FinishReason
    prompt_tokens: int
    completion_tokens: int


GenerationEvent = Started | Piece | Finished
