"""Pieces of ``POST /v1/moderations`` every safety provider needs."""

from __future__ import annotations

import uuid

from llama_stack_api import InvalidRequestError


def moderation_inputs(input: str | list[str]) -> list[str]:
    """The texts to judge, one result each; an empty request is a client mistake."""
    texts = [input] if isinstance(input, str) else list(input)
    if not texts:
        raise InvalidRequestError("`input` is empty: give a string or a list of strings", param="input")
    return texts


def moderation_id() -> str:
    return f"modr-{uuid.uuid4().hex}"
