"""Chat formats: turn a conversation (and its tools) into prompt tokens, and an answer back into tool calls.

Two formats: ``Llama3ChatFormat`` for models with the Llama 3 vocabulary (the
header / ``<|eot_id|>`` layout and Meta's tool prompts), and
``TemplateChatFormat`` (``chat_template.py``) for every other checkpoint, which
renders the checkpoint's own Jinja chat template.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from llama_stack_api import InvalidRequestError

from .llama3_prompts import (
    TOOL_PROMPT_FORMATS,
    environment_lines,
    function_tag_tools_prompt,
    is_builtin,
    json_tools_prompt,
    python_list_tools_prompt,
    system_preamble,
    tool_choice_instruction,
)
from .messages import ChatMessage, FunctionTool, ToolChoice
from .tokenization import Tokenizer
from .tool_calls import LLAMA3_CALL_PREFIXES, ParsedAnswer, llama3_call_text, parse_llama3_answer


@dataclass
class ChatPrompt:
    """A rendered conversation: what to feed the engine, when to stop, how to read tool calls back."""

    token_ids: list[int]
    stop_token_ids: list[int]
    tool_names: tuple[str, ...] = ()
    # answers that start like one of these may be tool calls, so streaming holds them back
    call_prefixes: tuple[str, ...] = ()
    # a token that announces a tool call (Llama 3's <|python_tag|>)
    call_token_id: int | None = None
    parse: Callable[[str, bool], ParsedAnswer] = field(default=lambda text, tagged: ParsedAnswer(text, ()))


class ChatFormat(Protocol):
    """Renders conversations for one checkpoint."""

    name: str

    def encode(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[FunctionTool] = (),
        tool_choice: ToolChoice | None = None,
        *,
        tool_prompt_format: str | None = None,
    ) -> ChatPrompt:
        """Raises ``InvalidRequestError`` when the conversation cannot be rendered."""
        ...


class Llama3ChatFormat:
    """Llama 3.x instruct format, token for token as llama-models' ``ChatFormat`` encodes it.

    Tools: built-ins (``brave_search``, ``wolfram_alpha``, ``photogen``,
    ``code_interpreter``) go on the system prompt's ``Environment: ipython`` /
    ``Tools:`` lines; function tools are described in one of three formats —
    ``json`` (Llama 3.1, the default), ``function_tag`` or ``python_list``
    (Llama 3.2 / 3.3). Tool results are ``ipython`` turns; an assistant turn
    that called a built-in or JSON tool ends with ``<|eom_id|>``.
    """

    name = "llama3"

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        default_tool_prompt_format: str = "json",
        today: Callable[[], date] = date.today,
    ) -> None:
        self._tok = tokenizer
        self._default_format = default_tool_prompt_format
        self._today = today
        ids = {}
        for text in (
            "<|begin_of_text|>",
            "<|end_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eom_id|>",
            "<|eot_id|>",
            "<|python_tag|>",
        ):
            token = tokenizer.special_id(text)
            if token is None:
                raise ValueError(f"the llama3 chat format needs the special token {text} in the vocabulary")
            ids[text] = token
        self._ids = ids

    def _header(self, role: str) -> list[int]:
        return [
            self._ids["<|start_header_id|>"],
            *self._tok.encode(role),
            self._ids["<|end_header_id|>"],
            *self._tok.encode("\n\n"),
        ]

    def _with_tools(
        self, messages: Sequence[ChatMessage], tools: Sequence[FunctionTool], choice: ToolChoice, fmt: str
    ) -> list[ChatMessage]:
        rest = list(messages)
        system = rest.pop(0).content if rest and rest[0].role == "system" else ""
        builtin = [t.name for t in tools if is_builtin(t.name)]
        custom = [t for t in tools if not is_builtin(t.name)]
        added: list[ChatMessage] = []
        if fmt == "python_list" and custom:
            text = environment_lines(builtin, ()) + python_list_tools_prompt(custom)
            if system:
                text += "\n" + system
        else:
            text = system_preamble(builtin, custom, self._today())
            if system:
                text += system + "\n"
            if custom:
                prompt = json_tools_prompt(custom) if fmt == "json" else function_tag_tools_prompt(custom)
                added.append(ChatMessage("user", prompt))
        instruction = tool_choice_instruction(choice)
        if instruction:
            text += ("\n" if not text.endswith("\n") else "") + instruction
        return [ChatMessage("system", text), *added, *rest]

    def encode(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[FunctionTool] = (),
        tool_choice: ToolChoice | None = None,
        *,
        tool_prompt_format: str | None = None,
    ) -> ChatPrompt:
        fmt = tool_prompt_format or self._default_format
        if fmt not in TOOL_PROMPT_FORMATS:
            raise InvalidRequestError(
                f"tool_prompt_format {fmt!r} is not one of {', '.join(TOOL_PROMPT_FORMATS)}",
                param="tool_prompt_format",
            )
        if tools:
            messages = self._with_tools(messages, tools, tool_choice or ToolChoice(), fmt)
        tokens = [self._ids["<|begin_of_text|>"]]
        for message in messages:
            tokens.extend(self._encode_message(message, fmt))
        tokens.extend(self._header("assistant"))
        names = tuple(t.name for t in tools)
        return ChatPrompt(
            token_ids=tokens,
            stop_token_ids=[self._ids["<|eot_id|>"], self._ids["<|eom_id|>"], self._ids["<|end_of_text|>"]],
            tool_names=names,
            call_prefixes=LLAMA3_CALL_PREFIXES if names else (),
            call_token_id=self._ids["<|python_tag|>"] if names else None,
            parse=lambda text, tagged: parse_llama3_answer(text, python_tag=tagged, offered=names),
        )

    def _encode_message(self, message: ChatMessage, fmt: str) -> list[int]:
        role = "ipython" if message.role == "tool" else message.role
        tokens = self._header(role)
        tokens.extend(self._tok.encode(message.content))
        end = "<|eot_id|>"
        if message.role == "assistant" and message.tool_calls:
            text, tagged = llama3_call_text(message.tool_calls, fmt)
            if tagged:
                tokens.append(self._ids["<|python_tag|>"])
                end = "<|eom_id|>"
            tokens.extend(self._tok.encode(text))
        tokens.append(self._ids[end])
        return tokens
