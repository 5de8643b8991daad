"""From generated pieces to an answer: text streamed as it comes, or held back while it may be a tool call."""

from __future__ import annotations

from dataclasses import dataclass, field

from .chat_format import ChatPrompt
from .generation import Piece, TokenLogprob
from .messages import ToolCallRequest
from .tool_calls import may_start_call


@dataclass
class Shown:
    """What a client gets to see now: text and the log probabilities of the tokens behind it."""

    text: str = ""
    logprobs: list[TokenLogprob] = field(default_factory=list)


@dataclass
class FinalAnswer(Shown):
    """The end of an answer: the text still held back, the tool calls, and the OpenAI finish reason."""

    tool_calls: tuple[ToolCallRequest, ...] = ()
    finish_reason: str = "stop"


class AnswerAssembler:
    """Decides, token by token, whether an answer is text (streamed at once) or tool calls (parsed at the end).

    With no tools offered everything is text. With tools, the answer is held
    back while it could still be the start of a call (``ChatPrompt.call_prefixes``,
    or the format's call token such as ``<|python_tag|>``); as soon as it cannot,
    what was held is released and the rest streams. A held answer is parsed
    when generation ends; one that holds no call to an offered tool is released
    as text.
    """

    def __init__(self, prompt: ChatPrompt, *, parallel_tool_calls: bool = True) -> None:
        self._prompt = prompt
        self._parallel = parallel_tool_calls
        self._mode = "undecided" if prompt.tool_names else "text"
        self._held = Shown()
        self._tagged = False
        self.completion_tokens = 0

    def feed(self, piece: Piece) -> Shown:
        self.completion_tokens += len(piece.token_ids)
        if self._prompt.call_token_id is not None and self._prompt.call_token_id in piece.token_ids:
            self._tagged = True
            if self._mode == "undecided":
                self._mode = "calls"
        if self._mode == "text":
            return Shown(piece.text, piece.logprobs)
        self._held.text += piece.text
        self._held.logprobs.extend(piece.logprobs)
        if self._mode == "undecided":
            head = self._held.text.lstrip()
            if head and any(head.startswith(p) for p in self._prompt.call_prefixes):
                self._mode = "calls"
            elif not may_start_call(self._held.text, self._prompt.call_prefixes):
                self._mode = "text"
                released, self._held = self._held, Shown()
                return released
        return Shown()

    def finish(self, finish_reason: str) -> FinalAnswer:
        """The rest of the answer once generation ended with ``finish_reason`` (``stop`` or ``length``)."""
        held, self._held = self._held, Shown()
        if self._mode != "text" and finish_reason == "stop":
            parsed = self._prompt.parse(held.text, self._tagged)
            if parsed.tool_calls:
                # parallel_tool_calls=false: one call per turn, the first the model wrote
                calls = parsed.tool_calls if self._parallel else parsed.tool_calls[:1]
                return FinalAnswer(parsed.content or "", held.logprobs, calls, "tool_calls")
        return FinalAnswer(held.text, held.logprobs, (), finish_reason)
