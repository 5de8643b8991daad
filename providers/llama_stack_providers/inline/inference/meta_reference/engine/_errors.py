"""The errors the engine raises: a checkpoint it cannot load, a prompt that does not fit."""

from __future__ import annotations

from pathlib import Path

from llama_stack_api.errors import InvalidRequestError


class CheckpointError(InvalidRequestError):
    """A checkpoint is missing, malformed, or uses a feature the engine does not support.

    The message names the path and what is wrong with it.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}", code="invalid_checkpoint")
        self.path = Path(path)
        self.problem = problem


class ContextLengthError(InvalidRequestError):
    """The prompt leaves no room in the model's context window; raised before any work starts."""

    def __init__(self, prompt_tokens: int, max_seq_len: int) -> None:
        super().__init__(
            f"the prompt has {prompt_tokens} tokens but the model's context window is {max_seq_len} tokens "
            "and at least one must be left for the reply; shorten the prompt or the conversation history",
            param="messages",
            code="context_length_exceeded",
        )
        self.prompt_tokens = prompt_tokens
        self.max_seq_len = max_seq_len
