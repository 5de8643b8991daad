"""Tool calls in model text: Llama 3 (JSON, ``<function>``, python list, ``<|python_tag|>`` built-ins), Hermes tags.

Parsing turns a finished answer into OpenAI tool calls; encoding writes earlier
calls back into history exactly as the model would have produced them.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_models.llama3.tool_utils import is_valid_python_list, parse_python_list_for_function_calls

from .llama3_prompts import BUILTIN_TOOLS
from .messages import ToolCallRequest

_BUILTIN_CALL = re.compile(r"^\s*(?P<name>\w+)\.call\((?P<args>.*)\)\s*$", re.DOTALL)
_FUNCTION_TAG = re.compile(r"<function=(?P<name>[^>]+)>(?P<args>\{.*?\})</function>", re.DOTALL)
_HERMES_TAG = re.compile(r"<tool_call>\s*(?P<body>\{.*?\})\s*</tool_call>", re.DOTALL)


@dataclass(frozen=True)
class ParsedAnswer:
    """An answer split into its text and its tool calls (``content`` is ``None`` when it was all calls)."""

    content: str | None
    tool_calls: tuple[ToolCallRequest, ...]


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _call(name: str, arguments: Any) -> ToolCallRequest:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCallRequest(new_call_id(), name, text)


# --- Llama 3 -------------------------------------------------------------------------------------


def _json_objects(text: str) -> list[Any] | None:
    """One or more JSON values separated by whitespace, ``;`` or ``,``; ``None`` if the text is anything else."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    index = 0
    text = text.strip()
    while index < len(text):
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            return None
        values.append(value)
        index = end
        while index < len(text) and text[index] in " \t\r\n;,":
            index += 1
    if len(values) == 1 and isinstance(values[0], list):
        return list(values[0])
    return values or None


def _json_calls(text: str) -> list[ToolCallRequest] | None:
    values = _json_objects(text)
    if not values:
        return None
    calls = []
    for value in values:
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return None
        if value.get("type", "function") != "function":
            return None
        arguments = value.get("parameters", value.get("arguments", {}))
        if isinstance(arguments, str):
            with contextlib.suppress(json.JSONDecodeError):
                arguments = json.loads(arguments)
        calls.append(_call(value["name"], arguments if arguments is not None else {}))
    return calls


def _builtin_call(text: str) -> ToolCallRequest | None:
    match = _BUILTIN_CALL.match(text)
    if match is None or match.group("name") not in BUILTIN_TOOLS:
        return None
    try:
        call = ast.parse(f"f({match.group('args')})", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(call, ast.Call) or call.args:
        return None
    try:
        arguments = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except ValueError:
        return None
    return _call(match.group("name"), arguments)


def _function_tag_calls(text: str) -> list[ToolCallRequest] | None:
    matches = list(_FUNCTION_TAG.finditer(text))
    if not matches or _FUNCTION_TAG.sub("", text).strip(" \t\r\n;,"):
        return None
    calls = []
    for match in matches:
        try:
            arguments = json.loads(match.group("args"))
        except json.JSONDecodeError:
            return None
        calls.append(_call(match.group("name").strip(), arguments))
    return calls


def _python_list_calls(text: str) -> list[ToolCallRequest] | None:
    if not is_valid_python_list(text.strip()):
        return None
    try:
        parsed = parse_python_list_for_function_calls(text.strip())
    except (ValueError, SyntaxError, AttributeError):
        return None
    return [_call(name, arguments) for name, arguments in parsed]


def parse_llama3_answer(text: str, *, python_tag: bool, offered: Sequence[str]) -> ParsedAnswer:
    """Tool calls of a Llama 3 answer, when the whole answer is calls to offered tools.

    ``python_tag``: the answer began with ``<|python_tag|>`` (built-in calls and
    code for the interpreter). A call to a tool that was not offered leaves the
    answer as text.
    """
    stripped = text.strip()
    if offered and stripped:
        for calls in (
            [c] if (c := _builtin_call(stripped)) else None,
            _json_calls(stripped),
            _function_tag_calls(stripped),
            _python_list_calls(stripped),
        ):
            if calls and all(c.name in offered for c in calls):
                return ParsedAnswer(None, tuple(calls))
        if python_tag and "code_interpreter" in offered:
            return ParsedAnswer(None, (_call("code_interpreter", {"code": text}),))
    return ParsedAnswer(text, ())


def llama3_call_text(calls: Sequence[ToolCallRequest], tool_prompt_format: str) -> tuple[str, bool]:
    """Earlier calls as the model writes them, and whether that text follows ``<|python_tag|>``.

    Built-in tools and JSON calls are written after ``<|python_tag|>``; ``<function>``
    tags and python lists are plain text (as in llama-models' prompt format examples).
    """
    pieces: list[str] = []
    tagged = False
    list_calls: list[str] = []
    for call in calls:
        arguments = call.arguments_dict()
        if call.name == "code_interpreter":
            pieces.append(str(arguments.get("code", call.arguments)))
            tagged = True
        elif call.name in BUILTIN_TOOLS:
            query = str(arguments.get("query", ""))
            pieces.append(f'{call.name}.call(query="{query}")')
            tagged = True
        elif tool_prompt_format == "function_tag":
            pieces.append(f"<function={call.name}>{json.dumps(arguments)}</function>")
        elif tool_prompt_format == "python_list":
            args = ", ".join(f"{k}={_python_value(v)}" for k, v in arguments.items())
            list_calls.append(f"{call.name}({args})")
        else:
            pieces.append(json.dumps({"type": "function", "name": call.name, "parameters": arguments}))
            tagged = True
    if list_calls:
        pieces.append(f"[{', '.join(list_calls)}]")
    separator = "" if tool_prompt_format == "function_tag" else "; "
    return separator.join(pieces), tagged


def _python_value(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_python_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_python_value(k)}: {_python_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


# --- chat templates (Hermes / Qwen style) ---------------------------------------------------------


def parse_template_answer(text: str, *, offered: Sequence[str]) -> ParsedAnswer:
    """Tool calls of a templated model's answer: ``<tool_call>{...}</tool_call>`` blocks, or a bare JSON call.

    Text around the tags stays as content.
    """
    if not offered:
        return ParsedAnswer(text, ())
    matches = list(_HERMES_TAG.finditer(text))
    if matches:
        calls: list[ToolCallRequest] = []
        for match in matches:
            parsed = _json_calls(match.group("body"))
            if not parsed:
                return ParsedAnswer(text, ())
            calls.extend(parsed)
        if all(c.name in offered for c in calls):
            rest = _HERMES_TAG.sub("", text).strip()
            return ParsedAnswer(rest or None, tuple(calls))
        return ParsedAnswer(text, ())
    bare = _json_calls(text)
    if bare and all(c.name in offered for c in bare):
        return ParsedAnswer(None, tuple(bare))
    return ParsedAnswer(text, ())


LLAMA3_CALL_PREFIXES = ("{", "[", "<function=", *(f"{name}.call(" for name in BUILTIN_TOOLS))
TEMPLATE_CALL_PREFIXES = ("<tool_call>", "{", "[")


def may_start_call(text: str, prefixes: Sequence[str]) -> bool:
    """Whether ``text`` (the answer so far) is, or could still become, the start of a tool call."""
    head = text.lstrip()
    if not head:
        return True
    return any(head.startswith(p) or p.startswith(head) for p in prefixes)
