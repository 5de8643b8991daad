"""Native llama-stack-client 0.2.x request fields as the OpenAI-shaped fields an engine understands."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import InvalidRequestError, NotSupportedError
from llama_stack_api.inference import (
    BuiltinTool,
    CompletionMessage,
    GrammarResponseFormat,
    GreedySamplingStrategy,
    ImageContentItem,
    ImageSource,
    InterleavedContent,
    JsonSchemaResponseFormat,
    Message,
    OpenAIAssistantMessageParam,
    OpenAIChatCompletionContentPartImageParam,
    OpenAIChatCompletionContentPartParam,
    OpenAIChatCompletionContentPartTextParam,
    OpenAIChatCompletionFunctionTool,
    OpenAIChatCompletionMessageToolCall,
    OpenAIChatCompletionToolCall,
    OpenAIChatCompletionToolCallFunction,
    OpenAIFunctionDefinition,
    OpenAIImageURL,
    OpenAIJSONSchema,
    OpenAIMessageParam,
    OpenAINamedFunction,
    OpenAINamedToolChoice,
    OpenAIResponseFormatJSONSchema,
    OpenAISystemMessageParam,
    OpenAIToolChoice,
    OpenAIToolMessageParam,
    OpenAIUserMessageParam,
    ResponseFormat,
    SamplingParams,
    SystemMessage,
    TextContentItem,
    ToolCall,
    ToolChoice,
    ToolConfig,
    ToolDefinition,
    ToolParamDefinition,
    ToolPromptFormat,
    ToolResponseMessage,
    TopKSamplingStrategy,
    TopPSamplingStrategy,
    UserMessage,
)

__all__ = [
    "OpenAISamplingOptions",
    "content_text",
    "openai_content_from_native",
    "openai_messages_from_native",
    "openai_response_format_from_native",
    "openai_sampling_from_native",
    "openai_tool_choice_from_native",
    "openai_tools_from_native",
    "resolve_tool_config",
]

# --- content -----------------------------------------------------------------------------------


def content_text(
    content: InterleavedContent, *, where: str, hint: str = "only user messages may hold images"
) -> str:
    """The text of ``content``, which must hold no image: an image is a ``NotSupportedError``
    naming ``where`` and saying ``hint``."""
    if isinstance(content, str):
        return content
    items = content if isinstance(content, list) else [content]
    texts: list[str] = []
    for item in items:
        if isinstance(item, ImageContentItem):
            raise NotSupportedError(f"{where} holds an image, but takes text only; {hint}", param=where)
        texts.append(item.text)
    return "".join(texts)


def openai_content_from_native(
    content: InterleavedContent,
) -> str | list[OpenAIChatCompletionContentPartParam]:
    """User content: a string stays a string, content items become OpenAI text / ``image_url`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, TextContentItem):
        return content.text
    items = content if isinstance(content, list) else [content]
    parts: list[OpenAIChatCompletionContentPartParam] = []
    for item in items:
        if isinstance(item, TextContentItem):
            parts.append(OpenAIChatCompletionContentPartTextParam(text=item.text))
        else:
            parts.append(
                OpenAIChatCompletionContentPartImageParam(
                    image_url=OpenAIImageURL(url=_image_url(item.image))
                )
            )
    return parts


_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def _image_url(image: ImageSource) -> str:
    if image.url is not None:
        return image.url.uri
    data = (image.data or "").strip()
    try:
        head = base64.b64decode(data[:32] + "=" * (-len(data[:32]) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("image.data is not valid base64", param="image.data") from None
    mime = next((m for sig, m in _IMAGE_SIGNATURES if head.startswith(sig)), None)
    if mime is None:
        # WEBP is RIFF....WEBP; anything unrecognised is sent as PNG and left to the engine
        mime = "image/webp" if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else "image/png"
    return f"data:{mime};base64,{data}"


# --- messages ----------------------------------------------------------------------------------


def openai_messages_from_native(messages: Sequence[Message]) -> list[OpenAIMessageParam]:
    """Native messages as OpenAI messages: tool calls keep their ``call_id`` as the OpenAI ``id``.

    A user message's RAG ``context`` follows its content after a blank line, as
    the Llama chat format puts it.
    """
    converted: list[OpenAIMessageParam] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}].content"
        if isinstance(message, UserMessage):
            content = openai_content_from_native(message.content)
            if message.context is not None:
                content = _with_context(content, openai_content_from_native(message.context))
            converted.append(OpenAIUserMessageParam(content=content))
        elif isinstance(message, SystemMessage):
            converted.append(OpenAISystemMessageParam(content=content_text(message.content, where=where)))
        elif isinstance(message, ToolResponseMessage):
            converted.append(
                OpenAIToolMessageParam(
                    tool_call_id=message.call_id, content=content_text(message.content, where=where)
                )
            )
        elif isinstance(message, CompletionMessage):
            text = content_text(message.content, where=where)
            calls = [_openai_tool_call(call) for call in message.tool_calls or []]
            converted.append(
                OpenAIAssistantMessageParam(content=text or (None if calls else ""), tool_calls=calls or None)
            )
        else:  # the Message union is closed; a new role needs a conversion here
            raise InvalidRequestError(f"messages[{i}]: unknown role", param=f"messages[{i}].role")
    return converted


def _with_context(
    content: str | list[OpenAIChatCompletionContentPartParam],
    context: str | list[OpenAIChatCompletionContentPartParam],
) -> str | list[OpenAIChatCompletionContentPartParam]:
    if isinstance(content, str) and isinstance(context, str):
        return f"{content}\n\n{context}"
    parts = _as_parts(content)
    parts.append(OpenAIChatCompletionContentPartTextParam(text="\n\n"))
    parts.extend(_as_parts(context))
    return parts


def _as_parts(
    content: str | list[OpenAIChatCompletionContentPartParam],
) -> list[OpenAIChatCompletionContentPartParam]:
    if isinstance(content, str):
        return [OpenAIChatCompletionContentPartTextParam(text=content)]
    return list(content)


def _openai_tool_call(call: ToolCall) -> OpenAIChatCompletionMessageToolCall:
    if call.arguments_json is not None:
        arguments = call.arguments_json
    elif isinstance(call.arguments, str):
        arguments = call.arguments
    else:
        arguments = json.dumps(call.arguments)
    return OpenAIChatCompletionToolCall(
        id=call.call_id,
        function=OpenAIChatCompletionToolCallFunction(name=str(call.tool_name), arguments=arguments),
    )


# --- sampling ----------------------------------------------------------------------------------


@dataclass
class OpenAISamplingOptions:
    """Native sampling as OpenAI fields; what OpenAI has no field for goes to ``extra_body``."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)


def openai_sampling_from_native(params: SamplingParams | None) -> OpenAISamplingOptions:
    """``greedy`` → temperature 0; ``top_p`` → temperature + top_p; ``top_k`` → ``extra_body.top_k``.

    No ``sampling_params`` means the native default, greedy decoding. A
    ``repetition_penalty`` other than 1.0 goes to ``extra_body`` (vLLM's name);
    ``max_tokens`` 0 means "up to the context length", so it is left unset.
    """
    params = params or SamplingParams()
    options = OpenAISamplingOptions(max_tokens=params.max_tokens or None, stop=params.stop or None)
    strategy = params.strategy
    if isinstance(strategy, GreedySamplingStrategy):
        options.temperature = 0.0
    elif isinstance(strategy, TopPSamplingStrategy):
        options.temperature = strategy.temperature
        options.top_p = strategy.top_p
    elif isinstance(strategy, TopKSamplingStrategy):
        options.extra_body["top_k"] = strategy.top_k
    if params.repetition_penalty is not None and params.repetition_penalty != 1.0:
        options.extra_body["repetition_penalty"] = params.repetition_penalty
    return options


# --- tools -------------------------------------------------------------------------------------

# What Llama models are trained to pass to their built-in tools, for definitions that give no parameters.
_BUILTIN_PARAMETERS: dict[BuiltinTool, dict[str, ToolParamDefinition]] = {
    BuiltinTool.brave_search: {
        "query": ToolParamDefinition(param_type="string", description="The search query.")
    },
    BuiltinTool.wolfram_alpha: {
        "query": ToolParamDefinition(param_type="string", description="The question to compute.")
    },
    BuiltinTool.photogen: {
        "query": ToolParamDefinition(param_type="string", description="A description of the image to make.")
    },
    BuiltinTool.code_interpreter: {
        "code": ToolParamDefinition(param_type="string", description="The Python code to run.")
    },
}

_JSON_TYPES = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "tuple": "array",
    "dict": "object",
    "object": "object",
    "none": "null",
    "null": "null",
}
_GENERIC = re.compile(r"^(\w+)\[(.*)\]$")


def _param_schema(param_type: str) -> dict[str, Any]:
    """A JSON Schema for a native ``param_type`` (``string``, ``int``, ``list[str]``, ``Optional[int]``...)."""
    text = param_type.strip()
    optional = text.lower().startswith("optional[") or text.replace(" ", "").endswith("|None")
    if optional:
        text = text[len("optional[") : -1] if text.lower().startswith("optional[") else text.rsplit("|", 1)[0]
        return {"anyOf": [_param_schema(text), {"type": "null"}]}
    generic = _GENERIC.match(text)
    if generic is not None:
        outer, inner = generic.group(1).lower(), generic.group(2)
        if outer in ("list", "tuple", "set", "array", "sequence"):
            return {"type": "array", "items": _param_schema(inner)}
        if outer in ("dict", "mapping"):
            return {"type": "object"}
    mapped = _JSON_TYPES.get(text.lower())
    # an unknown name is passed on as written: the engine's template may understand it
    return {"type": mapped or text}


def _parameters_schema(definition: ToolDefinition) -> dict[str, Any]:
    params = definition.parameters
    if params is None and isinstance(definition.tool_name, BuiltinTool):
        params = _BUILTIN_PARAMETERS.get(definition.tool_name)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, param in (params or {}).items():
        schema = _param_schema(param.param_type)
        if param.description:
            schema["description"] = param.description
        if param.default is not None:
            schema["default"] = param.default
        properties[name] = schema
        if param.required:
            required.append(name)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def openai_tools_from_native(
    tools: Sequence[ToolDefinition] | None,
) -> list[OpenAIChatCompletionFunctionTool]:
    """Each native tool as an OpenAI function tool whose ``parameters`` is a JSON Schema object.

    Built-in tools are functions named after them (``brave_search``, ...).
    Two tools with one name are an ``InvalidRequestError``.
    """
    converted: list[OpenAIChatCompletionFunctionTool] = []
    seen: set[str] = set()
    for i, tool in enumerate(tools or []):
        name = str(tool.tool_name)
        if name in seen:
            raise InvalidRequestError(
                f"tools[{i}]: a tool named {name!r} is defined twice; tool names must be unique",
                param=f"tools[{i}].tool_name",
            )
        seen.add(name)
        converted.append(
            OpenAIChatCompletionFunctionTool(
                function=OpenAIFunctionDefinition(
                    name=name, description=tool.description, parameters=_parameters_schema(tool)
                )
            )
        )
    return converted


def resolve_tool_config(
    tool_choice: ToolChoice | str | None,
    tool_prompt_format: ToolPromptFormat | None,
    tool_config: ToolConfig | None,
) -> ToolConfig:
    """One ``ToolConfig`` from it and the deprecated top-level fields; conflicting values are a 400."""
    if tool_config is None:
        return ToolConfig(tool_choice=tool_choice or ToolChoice.auto, tool_prompt_format=tool_prompt_format)
    updates: dict[str, Any] = {}
    for name, value in (("tool_choice", tool_choice), ("tool_prompt_format", tool_prompt_format)):
        if value is None:
            continue
        if name in tool_config.model_fields_set and getattr(tool_config, name) is not None:
            if str(getattr(tool_config, name)) != str(value):
                raise InvalidRequestError(
                    f"{name} {str(value)!r} conflicts with tool_config.{name} "
                    f"{str(getattr(tool_config, name))!r}; give it only in tool_config",
                    param=name,
                )
        else:
            updates[name] = value
    return tool_config.model_copy(update=updates) if updates else tool_config


def openai_tool_choice_from_native(
    choice: ToolChoice | str | None, tool_names: Sequence[str]
) -> OpenAIToolChoice | None:
    """``auto`` / ``required`` / ``none`` as themselves, a tool's name as a named-function choice.

    Without tools there is nothing to choose: ``auto`` and ``none`` send no
    choice, ``required`` or a name is an ``InvalidRequestError``.
    """
    if choice is None:
        return None
    value = str(choice)
    if not tool_names:
        if value in (ToolChoice.auto, ToolChoice.none):
            return None
        raise InvalidRequestError(
            f"tool_choice {value!r} needs tools, but the request defines none",
            param="tool_config.tool_choice",
        )
    if value == ToolChoice.auto:
        return "auto"
    if value == ToolChoice.required:
        return "required"
    if value == ToolChoice.none:
        return "none"
    if value not in tool_names:
        raise InvalidRequestError(
            f"tool_choice names {value!r}, which is not among the request's tools: {', '.join(tool_names)}",
            param="tool_config.tool_choice",
        )
    return OpenAINamedToolChoice(function=OpenAINamedFunction(name=value))


# --- structured output -------------------------------------------------------------------------

_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


def openai_response_format_from_native(
    response_format: ResponseFormat | None,
) -> tuple[OpenAIResponseFormatJSONSchema | None, dict[str, Any]]:
    """A JSON-schema format as OpenAI's ``json_schema``; a grammar as ``extra_body.guided_grammar``.

    Returns ``(response_format, extra_body)``. The grammar's ``bnf`` is passed
    on unchanged: what grammar syntax is accepted is the engine's business.
    """
    if response_format is None:
        return None, {}
    if isinstance(response_format, JsonSchemaResponseFormat):
        schema = response_format.json_schema
        title = schema.get("title") if isinstance(schema.get("title"), str) else None
        name = _SCHEMA_NAME.sub("_", title or "")[:64] or "response"
        return OpenAIResponseFormatJSONSchema(json_schema=OpenAIJSONSchema(name=name, schema_=schema)), {}
    if isinstance(response_format, GrammarResponseFormat):
        return None, {"guided_grammar": response_format.bnf}
    raise InvalidRequestError("unknown response_format type", param="response_format.type")
