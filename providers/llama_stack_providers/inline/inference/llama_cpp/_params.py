"""Request fields as llama.cpp settings: sampling, grammars, stops and logprobs, validated up front.

Everything a request asks for is either honoured or refused here with a typed
error, before the model's thread is involved. ``extra_body`` carries the
engine options OpenAI has no field for, under vLLM's names where vLLM has one.
"""

from __future__ import annotations

import json
from typing import Any

from llama_stack_api import InvalidRequestError, NotSupportedError
from llama_stack_api.inference import (
    OpenAIResponseFormatJSONObject,
    OpenAIResponseFormatJSONSchema,
    OpenAIResponseFormatParam,
)

from ._types import Grammar, Sampling

EXTRA_BODY_KEYS = frozenset(
    {
        "top_k",
        "min_p",
        "typical_p",
        "repetition_penalty",
        "repeat_penalty",
        "guided_grammar",
        "guided_json",
        "guided_choice",
    }
)
MAX_TOP_LOGPROBS = 20
MAX_COMPLETION_LOGPROBS = 5


def check_extra_body(extra_body: dict[str, Any] | None) -> dict[str, Any]:
    extra = dict(extra_body or {})
    unknown = sorted(set(extra) - EXTRA_BODY_KEYS)
    if unknown:
        raise NotSupportedError(
            f"inline::llama-cpp does not understand {', '.join(map(repr, unknown))}; "
            f"the engine options it takes are: {', '.join(sorted(EXTRA_BODY_KEYS))}",
            param=unknown[0],
            code="unsupported_option",
        )
    return extra


def refuse(**options: Any) -> None:
    """``NotSupportedError`` for the first option that was given (not ``None``)."""
    for name, value in options.items():
        if value is not None:
            raise NotSupportedError(f"inline::llama-cpp does not support {name}", param=name)


def sampling(
    *,
    temperature: float | None,
    top_p: float | None,
    presence_penalty: float | None,
    frequency_penalty: float | None,
    seed: int | None,
    logit_bias: dict[str, float] | None,
    extra: dict[str, Any],
    vocab_size: int,
) -> Sampling:
    _in_range("temperature", temperature, 0.0, 2.0)
    _in_range("top_p", top_p, 0.0, 1.0)
    _in_range("presence_penalty", presence_penalty, -2.0, 2.0)
    _in_range("frequency_penalty", frequency_penalty, -2.0, 2.0)
    top_k = extra.get("top_k", 0)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < -1:
        raise InvalidRequestError(
            f"top_k must be an integer ≥ 0 (-1 or 0: off), not {top_k!r}", param="top_k"
        )
    min_p = _number(extra, "min_p", 0.0, 0.0, 1.0)
    typical_p = _number(extra, "typical_p", 1.0, 0.0, 1.0)
    repeat = _number(extra, "repetition_penalty", 1.0, 0.0, 10.0)
    repeat = _number(extra, "repeat_penalty", repeat, 0.0, 10.0)
    return Sampling(
        temperature=1.0 if temperature is None else temperature,
        top_p=1.0 if top_p is None else top_p,
        top_k=max(top_k, 0),
        min_p=min_p,
        typical_p=typical_p,
        repeat_penalty=repeat,
        presence_penalty=presence_penalty or 0.0,
        frequency_penalty=frequency_penalty or 0.0,
        # llama.cpp seeds are 32 bits, and 0xFFFFFFFF means "pick one at random"
        seed=None if seed is None else (seed & 0xFFFFFFFF) % 0xFFFFFFFF,
        logit_bias=_logit_bias(logit_bias, vocab_size),
    )


def _in_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidRequestError(f"{name} must be between {low:g} and {high:g}, not {value:g}", param=name)


def _number(extra: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = extra.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequestError(f"{name} must be a number, not {value!r}", param=name)
    _in_range(name, float(value), low, high)
    return float(value)


def _logit_bias(bias: dict[str, float] | None, vocab_size: int) -> dict[int, float]:
    result: dict[int, float] = {}
    for key, value in (bias or {}).items():
        if not key.lstrip("-").isdigit() or not 0 <= int(key) < vocab_size:
            raise InvalidRequestError(
                f"logit_bias key {key!r} is not a token id of this model (0..{vocab_size - 1})",
                param="logit_bias",
            )
        _in_range("logit_bias", value, -100.0, 100.0)
        result[int(key)] = float(value)
    return result


def stops(stop: str | list[str] | None) -> tuple[str, ...]:
    values = [stop] if isinstance(stop, str) else list(stop or [])
    return tuple(s for s in values if s)


def max_new_tokens(max_tokens: int | None, max_completion_tokens: int | None = None) -> int | None:
    for name, value in (("max_completion_tokens", max_completion_tokens), ("max_tokens", max_tokens)):
        if value is not None:
            if value < 0:
                raise InvalidRequestError(f"{name} must be at least 0, not {value}", param=name)
            return value
    return None


def chat_logprobs(logprobs: bool | None, top_logprobs: int | None) -> int | None:
    """How many alternatives to report per token (``None``: no logprobs)."""
    if top_logprobs is not None:
        if not logprobs:
            raise InvalidRequestError("top_logprobs needs logprobs: true", param="top_logprobs")
        if not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise InvalidRequestError(
                f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}, not {top_logprobs}",
                param="top_logprobs",
            )
    return (top_logprobs or 0) if logprobs else None


def completion_logprobs(logprobs: int | None) -> int | None:
    if logprobs is not None and not 0 <= logprobs <= MAX_COMPLETION_LOGPROBS:
        raise InvalidRequestError(
            f"logprobs must be between 0 and {MAX_COMPLETION_LOGPROBS}, not {logprobs}", param="logprobs"
        )
    return logprobs


# --- grammars ------------------------------------------------------------------------------------


def grammar(
    response_format: OpenAIResponseFormatParam | None = None,
    *,
    extra: dict[str, Any],
    guided_choice: list[str] | None = None,
    tool_schema: dict[str, Any] | None = None,
) -> Grammar | None:
    """The one output constraint a request asks for; asking for two is an ``InvalidRequestError``."""
    found: list[tuple[str, Grammar]] = []
    if isinstance(response_format, OpenAIResponseFormatJSONObject):
        found.append(("response_format", Grammar("json")))
    elif isinstance(response_format, OpenAIResponseFormatJSONSchema):
        schema = response_format.json_schema.schema_
        found.append(
            ("response_format", Grammar("json_schema", json.dumps(schema)) if schema else Grammar("json"))
        )
    if tool_schema is not None:
        found.append(("tool_choice", Grammar("json_schema", json.dumps(tool_schema))))
    choices = guided_choice if guided_choice is not None else extra.get("guided_choice")
    if choices is not None:
        found.append(("guided_choice", _choice_grammar(choices)))
    if extra.get("guided_json") is not None:
        found.append(("guided_json", _schema_grammar(extra["guided_json"])))
    if extra.get("guided_grammar") is not None:
        found.append(("guided_grammar", _gbnf(extra["guided_grammar"])))
    if len(found) > 1:
        names = [name for name, _ in found]
        raise InvalidRequestError(
            f"{' and '.join(names)} each constrain the output; give only one of them", param=names[1]
        )
    return found[0][1] if found else None


def _choice_grammar(choices: Any) -> Grammar:
    if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
        raise InvalidRequestError("guided_choice must be a list of non-empty strings", param="guided_choice")
    alternatives = " | ".join(json.dumps(c, ensure_ascii=False) for c in choices)
    return Grammar("gbnf", f"root ::= {alternatives}")


def _schema_grammar(schema: Any) -> Grammar:
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            raise InvalidRequestError(
                "guided_json must be a JSON Schema object", param="guided_json"
            ) from None
    if not isinstance(schema, dict):
        raise InvalidRequestError("guided_json must be a JSON Schema object", param="guided_json")
    return Grammar("json_schema", json.dumps(schema))


def _gbnf(value: Any) -> Grammar:
    if isinstance(value, dict) and isinstance(value.get("gbnf"), str):
        value = value["gbnf"]
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(
            'guided_grammar must be GBNF text (or {"gbnf": text}), llama.cpp\'s grammar syntax',
            param="guided_grammar",
        )
    return Grammar("gbnf", value)
