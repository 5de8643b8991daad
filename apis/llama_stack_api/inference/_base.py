"""Base models for the inference types: strict for the native API, open for the OpenAI one."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

E = TypeVar("E", bound=StrEnum)


class NativeModel(BaseModel):
    """A native Llama Stack type: the shape is ours, so an unknown field is a typo and is refused."""

    model_config = ConfigDict(extra="forbid")


class OpenAIModel(BaseModel):
    """An OpenAI-shaped type: unknown fields are kept and passed on.

    OpenAI adds fields often and OpenAI-compatible engines (vLLM, ...) add their
    own; keeping them lets providers forward what they understand instead of the
    stack refusing requests that newer SDKs send. Top-level request fields are
    still checked: unknown ones land in ``extra_body``.
    """

    model_config = ConfigDict(extra="allow")


def enum_or_str(enum: type[E], value: E | str) -> E | str:
    """``value`` as a member of ``enum`` when it names one, else the string unchanged.

    For ``Enum | str`` fields, so ``isinstance(v, Enum)`` holds whether the input
    came from JSON or from Python.
    """
    return enum(value) if value in enum._value2member_map_ else value
