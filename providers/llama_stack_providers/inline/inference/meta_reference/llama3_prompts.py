"""The texts of Llama 3.x tool prompts: the system preamble and the JSON, ``<function>`` and python-list formats.

Each is spelled as llama-models documents it (``llama3_1/prompt_format.md``,
``llama3_2/text_prompt_format.md``); the tests render the documented examples
and compare them character for character.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from .messages import FunctionTool, ToolChoice

BUILTIN_TOOLS = ("brave_search", "wolfram_alpha", "photogen", "code_interpreter")
"""Tools the Llama 3.1+ instruct models were trained to call with ``<|python_tag|>``."""

TOOL_PROMPT_FORMATS = ("json", "function_tag", "python_list")


def is_builtin(name: str) -> bool:
    return name in BUILTIN_TOOLS


def environment_lines(builtin: Sequence[str], custom: Sequence[FunctionTool]) -> str:
    """``Environment: ipython`` and the ``Tools:`` line naming the built-ins (code_interpreter is implied)."""
    if not builtin and not custom:
        return ""
    named = [b for b in builtin if b != "code_interpreter"]
    # as in the documented examples: the Tools line runs straight on, otherwise a blank line follows
    return "Environment: ipython\n" + (f"Tools: {', '.join(named)}\n" if named else "\n")


def system_preamble(builtin: Sequence[str], custom: Sequence[FunctionTool], today: date) -> str:
    """``environment_lines`` and the knowledge / today dates."""
    text = environment_lines(builtin, custom)
    text += "Cutting Knowledge Date: December 2023\n"
    text += f"Today Date: {today.day:02d} {today.strftime('%B %Y')}\n\n"
    return text


def tool_choice_instruction(choice: ToolChoice) -> str:
    if choice.function:
        return f"You MUST use the tool `{choice.function}` to answer the user query."
    if choice.mode == "required":
        return "You MUST use one of the provided functions/tools to answer the user query."
    return ""


def _properties(tool: FunctionTool) -> dict[str, Any]:
    props = tool.parameters.get("properties") or {}
    return props if isinstance(props, dict) else {}


def _required(tool: FunctionTool) -> list[str]:
    required = tool.parameters.get("required") or []
    return [str(r) for r in required] if isinstance(required, list) else []


def json_tools_prompt(tools: Sequence[FunctionTool]) -> str:
    """Llama 3.1's JSON tool prompt (sent as a user message before the conversation)."""
    blocks = []
    for tool in tools:
        properties = ",\n".join(
            "                {\n"
            f"                    {json.dumps(name)}: {{\n"
            '                        "type": "object",\n'
            f'                        "description": {json.dumps(str(spec.get("description", "")))}\n'
            "                    }\n"
            "                }"
            for name, spec in _properties(tool).items()
        )
        blocks.append(
            "{\n"
            '    "type": "function",\n'
            '    "function": {\n'
            f'        "name": {json.dumps(tool.name)},\n'
            f'        "description": {json.dumps(tool.description)},\n'
            '        "parameters": {\n'
            '            "type": "object",\n'
            '            "properties": [\n'
            f"{properties}\n"
            "            ],\n"
            f'            "required": {json.dumps(_required(tool))}\n'
            "        }\n"
            "    }\n"
            "}\n"
        )
    return (
        "Answer the user's question by making use of the following functions if needed.\n"
        "If none of the function can be used, please say so.\n"
        "Here is a list of functions in JSON format:\n"
        + "".join(blocks)
        + "\nReturn function calls in JSON format."
    )


def function_tag_tools_prompt(tools: Sequence[FunctionTool]) -> str:
    """Llama 3.1's ``<function=name>{...}</function>`` prompt (sent as a user message)."""
    text = "You have access to the following functions:\n\n"
    for tool in tools:
        required = set(_required(tool))
        params = {
            name: {
                "description": spec.get("description", ""),
                "param_type": spec.get("type", "string"),
                "required": name in required,
            }
            for name, spec in _properties(tool).items()
        }
        # the documented example lists each tool's parameters with sorted keys
        definition = (
            f'{{"name": {json.dumps(tool.name)}, "description": {json.dumps(tool.description)}, '
            f'"parameters": {json.dumps(params, sort_keys=True)}}}'
        )
        text += f"Use the function '{tool.name}' to '{tool.description}':\n{definition}\n\n"
    return text + (
        "Think very carefully before calling functions.\n"
        "If you choose to call a function ONLY reply in the following format with no prefix or suffix:\n\n"
        '<function=example_function_name>{"example_name": "example_value"}</function>\n\n'
        "Reminder:\n"
        "- If looking for real time information use relevant functions before falling back to brave_search\n"
        "- Function calls MUST follow the specified format, start with <function= and end with </function>\n"
        "- Required parameters MUST be specified\n"
        "- Only call one function at a time\n"
        "- Put the entire function call reply on one line"
    )


def python_list_tools_prompt(tools: Sequence[FunctionTool]) -> str:
    """Llama 3.2 / 3.3's python-list prompt (the system message)."""
    described = []
    for tool in tools:
        properties: dict[str, Any] = {}
        for name, spec in _properties(tool).items():
            entry = {"type": spec.get("type", "string"), "description": spec.get("description", "")}
            if spec.get("default") is not None:
                entry["default"] = spec["default"]
            properties[name] = entry
        described.append(
            {
                "name": tool.name,
                "description": tool.description,
                "parameters": {"type": "dict", "required": _required(tool), "properties": properties},
            }
        )
    return (
        "You are an expert in composing functions. You are given a question and a set of possible functions.\n"
        "Based on the question, you will need to make one or more function/tool calls to achieve the purpose.\n"
        "If none of the function can be used, point it out. If the given question lacks the parameters "
        "required by the function,\n"
        "also point it out. You should only return the function call in tools call sections.\n\n"
        "If you decide to invoke any of the function(s), you MUST put it in the format of "
        "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]\n"
        "You SHOULD NOT include any other text in the response.\n\n"
        "Here is a list of functions in JSON format that you can invoke.\n\n"
        + json.dumps(described, indent=4)
    )
