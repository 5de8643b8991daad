"""Sampling parameters of a request, checked once, whichever route they came through."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import InvalidRequestError, NotSupportedError

MAX_TOP_LOGPROBS = 20
MAX_CHOICES = 16

EXTRA_BODY_KEYS = frozenset({"top_k", "tool_prompt_format"})
"""``extra_body`` fields meta-reference honours: ``top_k`` (an integer, 0 = off) and, for Llama 3
vocabularies, ``tool_prompt_format`` (``json`` | ``function_tag`` | ``python_list``)."""


@dataclass(frozen=True)
class Sampling:
    """How to pick tokens and when to stop; ``max_tokens`` ``None`` means up to the context limit."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_tokens: int | None = None
    seed: int | None = None
    logprobs: int | None = None  # alternatives per position; None: no log probabilities at all
    stop: tuple[str, ...] = ()
    n: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def for_choice(self, index: int) -> Sampling:
        """Choice ``index`` of ``n``: the seed moves on by one per choice, so seeded choices differ."""
        if self.seed is None or index == 0:
            return self
        return Sampling(
            self.temperature,
            self.top_p,
            self.top_k,
            self.max_tokens,
            self.seed + index,
            self.logprobs,
            self.stop,
            self.n,
            self.extra,
        )


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestError(f"{name} must be a finite number, not {value!r}", param=name)
    return float(value)


def build_sampling(
    *,
    temperature: float | None,
    top_p: float | None,
    max_tokens: int | None,
    seed: int | None,
    stop: str | list[str] | None,
    n: int | None,
    logprobs: int | None,
    extra_body: dict[str, Any] | None,
) -> Sampling:
    """A ``Sampling`` from OpenAI-style fields (``temperature`` and ``top_p`` default to 1, as OpenAI's do).

    Raises ``InvalidRequestError`` for out-of-range values (temperature below 0,
    top_p outside (0, 1], max_tokens below 1, n below 1, top_k below 0) and
    ``NotSupportedError`` for ``extra_body`` fields the engine cannot honour.
    """
    t = 1.0 if temperature is None else _number(temperature, "temperature")
    if t < 0:
        raise InvalidRequestError(f"temperature must be at least 0, not {t:g}", param="temperature")
    p = 1.0 if top_p is None else _number(top_p, "top_p")
    if not 0 < p <= 1:
        raise InvalidRequestError(f"top_p must be in (0, 1], not {p:g}", param="top_p")
    if max_tokens is not None and max_tokens < 1:
        raise InvalidRequestError(f"max_tokens must be at least 1, not {max_tokens}", param="max_tokens")
    choices = 1 if n is None else n
    if choices < 1:
        raise InvalidRequestError(f"n must be at least 1, not {choices}", param="n")
    if choices > MAX_CHOICES:
        raise InvalidRequestError(f"n must be at most {MAX_CHOICES}, not {choices}", param="n")
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    if len(stops) > 4:
        raise InvalidRequestError("stop may hold at most 4 sequences", param="stop")
    extra = {k: v for k, v in (extra_body or {}).items() if v is not None}
    unknown = sorted(set(extra) - EXTRA_BODY_KEYS)
    if unknown:
        raise NotSupportedError(
            f"meta-reference cannot honour {', '.join(unknown)}; the extra_body fields it knows are "
            f"{', '.join(sorted(EXTRA_BODY_KEYS))}",
            param="extra_body",
            code="unsupported_option",
        )
    top_k = extra.get("top_k", 0)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise InvalidRequestError(f"top_k must be an integer of at least 0, not {top_k!r}", param="top_k")
    return Sampling(
        temperature=t,
        top_p=p,
        top_k=top_k,
        max_tokens=max_tokens,
        seed=seed,
        logprobs=logprobs,
        stop=tuple(s for s in stops if s),
        n=choices,
        extra=extra,
    )


def refuse_unsupported(**options: Any) -> None:
    """``NotSupportedError`` naming the first option that is set to something meta-reference cannot do.

    Each keyword is an option's name and value; ``None``, ``False``, ``0`` and
    empty collections count as unset.
    """
    for name, value in options.items():
        if value is None or value is False or value == 0 or value == {} or value == []:
            continue
        raise NotSupportedError(
            f"meta-reference does not support {name!r}; leave it unset", param=name, code="unsupported_option"
        )
