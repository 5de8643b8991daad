"""``TemplateChatFormat``: render a checkpoint's own Jinja chat template, as transformers' ``apply_chat_template`` does.

The template runs in Jinja's immutable sandbox with transformers' settings
(``trim_blocks``, ``lstrip_blocks``, ``loopcontrols``, its ``tojson``,
``raise_exception`` and ``strftime_now``), and sees ``messages``,
``add_generation_prompt``, ``bos_token`` / ``eos_token`` and, when the request
has any, ``tools`` (OpenAI-shaped dicts, as transformers passes them).

A template that ignores tools still gets them: the tools are described in a
system message asking for ``<tool_call>{"name": ..., "arguments": ...}</tool_call>``
(the Hermes convention many templates use), and earlier calls and results are
written back the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from llama_stack_api import InvalidRequestError

from .chat_format import ChatPrompt
from .messages import ChatMessage, FunctionTool, ToolChoice
from .tokenization import Tokenizer
from .tool_calls import TEMPLATE_CALL_PREFIXES, parse_template_answer


def _raise(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None,
            sort_keys: bool = False) -> str:  # fmt: skip
    # transformers' filter: unlike Jinja's own, no HTML escaping and keys keep their order
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(fmt: str) -> str:
    # templates print the local date, as transformers does
    return datetime.now().strftime(fmt)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = _strftime_now
    return env


def _tool_dict(tool: FunctionTool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "description": tool.description}
    function["parameters"] = tool.parameters or {"type": "object", "properties": {}}
    return {"type": "function", "function": function}


def _tools_system_prompt(tools: Sequence[FunctionTool], choice: ToolChoice) -> str:
    described = "\n".join(json.dumps(_tool_dict(t), ensure_ascii=False) for t in tools)
    text = (
        "You may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{described}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n"
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )
    if choice.function:
        text += f"\nYou MUST call the function `{choice.function}`."
    elif choice.mode == "required":
        text += "\nYou MUST call at least one of the functions."
    return text


def _hermes_calls(message: ChatMessage) -> str:
    return "\n".join(
        "<tool_call>\n"
        + json.dumps({"name": c.name, "arguments": c.arguments_dict()}, ensure_ascii=False)
        + "\n</tool_call>"
        for c in message.tool_calls
    )


class TemplateChatFormat:
    """A checkpoint's Jinja chat template (e.g. SmolLM2's ChatML)."""

    name = "template"

    def __init__(
        self,
        tokenizer: Tokenizer,
        template: str,
        *,
        stop_token_ids: Sequence[int],
        bos_token: str | None = None,
        eos_token: str | None = None,
        extra_tokens: dict[str, str] | None = None,
    ) -> None:
        env = _environment()
        try:
            self._template = env.from_string(template)
            variables = meta.find_undeclared_variables(env.parse(template))
        except jinja2.exceptions.TemplateSyntaxError as exc:
            raise ValueError(f"the checkpoint's chat template does not parse: {exc}") from exc
        self._tok = tokenizer
        self._stop = list(stop_token_ids)
        self.handles_tools = "tools" in variables
        self.handles_tool_calls = "tool_calls" in template
        self._variables: dict[str, Any] = {"bos_token": bos_token or "", "eos_token": eos_token or ""}
        self._variables.update(extra_tokens or {})

    def render(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[FunctionTool] = (),
        tool_choice: ToolChoice | None = None,
        *,
        add_generation_prompt: bool = True,
    ) -> str:
        """The prompt text. Raises ``InvalidRequestError`` when the template refuses the conversation."""
        choice = tool_choice or ToolChoice()
        rendered: list[dict[str, Any]] = []
        if tools and not self.handles_tools:
            prompt = _tools_system_prompt(tools, choice)
            if messages and messages[0].role == "system":
                prompt = messages[0].content + "\n\n" + prompt
                messages = messages[1:]
            rendered.append({"role": "system", "content": prompt})
        for message in messages:
            rendered.append(self._message_dict(message))
        variables = dict(self._variables, messages=rendered, add_generation_prompt=add_generation_prompt)
        if tools and self.handles_tools:
            variables["tools"] = [_tool_dict(t) for t in tools]
        try:
            return str(self._template.render(**variables))
        except jinja2.exceptions.TemplateError as exc:
            raise InvalidRequestError(f"the model's chat template refused this conversation: {exc}") from exc

    def _message_dict(self, message: ChatMessage) -> dict[str, Any]:
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            if self.handles_tool_calls:
                entry["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments_dict()},
                    }
                    for c in message.tool_calls
                ]
            else:
                calls = _hermes_calls(message)
                entry["content"] = f"{message.content}\n{calls}" if message.content else calls
        if message.role == "tool":
            if message.tool_call_id:
                entry["tool_call_id"] = message.tool_call_id
            if message.name:
                entry["name"] = message.name
            if not self.handles_tool_calls:
                entry["content"] = f"<tool_response>\n{message.content}\n</tool_response>"
        return entry

    def encode(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[FunctionTool] = (),
        tool_choice: ToolChoice | None = None,
        *,
        tool_prompt_format: str | None = None,
    ) -> ChatPrompt:
        text = self.render(messages, tools, tool_choice)
        names = tuple(t.name for t in tools)
        return ChatPrompt(
            # the template spells out every special token, as with transformers' apply_chat_template
            token_ids=self._tok.encode(text, add_bos=False, parse_special=True),
            stop_token_ids=list(self._stop),
            tool_names=names,
            call_prefixes=TEMPLATE_CALL_PREFIXES if names else (),
            parse=lambda answer, _tagged: parse_template_answer(answer, offered=names),
        )
