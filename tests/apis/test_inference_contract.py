"""The Inference contract: routes, request fields the clients send, response fields they read.

Type rules and parsing live in ``test_inference_types.py``; round trips through
the real SDKs in ``test_inference_clients.py``.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

import llama_stack_client.types as lsc
import llama_stack_client.types.shared as lsc_shared
import openai.types as oai
import openai.types.chat as oai_chat
import pytest
from llama_stack_client.types import chat as lsc_chat
from llama_stack_client.types.shared import content_delta, interleaved_content
from openai.types import completion_choice, completion_usage, create_embedding_response
from openai.types.chat import chat_completion, chat_completion_chunk, chat_completion_message
from openai.types.chat import chat_completion_message_custom_tool_call as custom_call
from openai.types.chat import chat_completion_message_function_tool_call as function_call
from openai.types.chat import chat_completion_token_logprob as token_logprob
from openai.types.chat import completion_create_params as oai_chat_params
from pydantic import BaseModel

from llama_stack_api import Api, MethodSpec, api_spec, available_apis, protocol_methods
from llama_stack_api import inference as inf


def _methods() -> dict[str, MethodSpec]:
    return {spec.name: spec for spec in protocol_methods(inf.Inference)}


# --- routes ------------------------------------------------------------------------------------

ROUTES = {
    "openai_chat_completion": ("POST", "/v1/chat/completions", "stream", True, "model"),
    "openai_completion": ("POST", "/v1/completions", "stream", True, "model"),
    "openai_embeddings": ("POST", "/v1/embeddings", "never", True, "model"),
    "chat_completion": ("POST", "/v1/inference/chat-completion", "stream", False, "model_id"),
    "completion": ("POST", "/v1/inference/completion", "stream", False, "model_id"),
    "embeddings": ("POST", "/v1/inference/embeddings", "never", False, "model_id"),
}


def test_every_method_has_its_route() -> None:
    got = {
        name: (s.route.method, s.route.path, s.route.stream, s.route.openai, s.route.routing_key)
        for name, s in _methods().items()
    }
    assert got == ROUTES


def test_api_spec_routes_inference_by_models() -> None:
    spec = api_spec(Api.inference)
    assert spec.protocol is inf.Inference and spec.routed_by is Api.models and not spec.framework
    assert Api.inference in available_apis()


@pytest.mark.parametrize(
    ("name", "plain", "chunk"),
    [
        ("openai_chat_completion", inf.OpenAIChatCompletion, inf.OpenAIChatCompletionChunk),
        ("openai_completion", inf.OpenAICompletion, inf.OpenAICompletion),
        ("openai_embeddings", inf.OpenAIEmbeddingsResponse, None),
        ("chat_completion", inf.ChatCompletionResponse, inf.ChatCompletionResponseStreamChunk),
        ("completion", inf.CompletionResponse, inf.CompletionResponseStreamChunk),
        ("embeddings", inf.EmbeddingsResponse, None),
    ],
)
def test_response_and_chunk_types(name: str, plain: type, chunk: type | None) -> None:
    assert _methods()[name].response_types() == (plain, chunk)


def test_only_the_openai_generation_methods_collect_extra_body() -> None:
    collecting = {name for name, s in _methods().items() if "extra_body" in s.signature.parameters}
    assert collecting == {"openai_chat_completion", "openai_completion"}
    hint = _methods()["openai_chat_completion"].hints["extra_body"]
    assert hint == dict[str, Any] | None


def test_only_model_and_payload_are_required() -> None:
    required = {
        name: [p.name for p in s.parameters if p.default is p.empty] for name, s in _methods().items()
    }
    assert required == {
        "openai_chat_completion": ["model", "messages"],
        "openai_completion": ["model", "prompt"],
        "openai_embeddings": ["model", "input"],
        "chat_completion": ["model_id", "messages"],
        "completion": ["model_id", "content"],
        "embeddings": ["model_id", "contents"],
    }


def test_methods_are_async_and_keyword_callable() -> None:
    for spec in _methods().values():
        assert inspect.iscoroutinefunction(spec.function), spec.name
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in spec.parameters), spec.name


# --- every field the clients can send is a declared parameter ----------------------------------


def _typeddict_keys(td: Any) -> set[str]:
    return set(td.__required_keys__) | set(td.__optional_keys__)


CLIENT_PARAMS = [
    ("openai_chat_completion", oai_chat_params.CompletionCreateParamsStreaming),
    ("openai_completion", oai.completion_create_params.CompletionCreateParamsStreaming),
    ("openai_embeddings", oai.embedding_create_params.EmbeddingCreateParams),
    ("openai_chat_completion", lsc_chat.completion_create_params.CompletionCreateParamsStreaming),
    ("openai_completion", lsc.completion_create_params.CompletionCreateParamsStreaming),
    ("openai_embeddings", lsc.embedding_create_params.EmbeddingCreateParams),
    ("chat_completion", lsc.inference_chat_completion_params.InferenceChatCompletionParamsStreaming),
    ("completion", lsc.inference_completion_params.InferenceCompletionParamsStreaming),
    ("embeddings", lsc.inference_embeddings_params.InferenceEmbeddingsParams),
]


@pytest.mark.parametrize(("name", "params"), CLIENT_PARAMS, ids=lambda v: getattr(v, "__module__", v))
def test_every_client_field_is_a_parameter(name: str, params: Any) -> None:
    declared = {p.name for p in _methods()[name].parameters}
    missing = _typeddict_keys(params) - declared
    assert not missing, f"{name} does not declare {sorted(missing)}, which {params.__module__} sends"


def test_type_hints_resolve_from_module_globals() -> None:
    for spec in _methods().values():
        assert typing.get_type_hints(spec.function)  # raises NameError on an unresolvable hint


# --- every field the clients read is declared, under the same name -----------------------------

RESPONSE_TWINS: list[tuple[type[BaseModel], Any]] = [
    (inf.OpenAIChatCompletion, oai_chat.ChatCompletion),
    (inf.OpenAIChoice, chat_completion.Choice),
    (inf.OpenAIChoiceLogprobs, chat_completion.ChoiceLogprobs),
    (inf.OpenAIChatCompletionMessage, chat_completion_message.ChatCompletionMessage),
    (inf.OpenAIAnnotation, chat_completion_message.Annotation),
    (inf.OpenAIURLCitation, chat_completion_message.AnnotationURLCitation),
    (inf.OpenAIChatCompletionAudio, oai_chat.ChatCompletionAudio),
    (inf.OpenAIFunctionCall, chat_completion_message.FunctionCall),
    (inf.OpenAIChatCompletionToolCall, function_call.ChatCompletionMessageFunctionToolCall),
    (inf.OpenAIChatCompletionToolCallFunction, function_call.Function),
    (inf.OpenAIChatCompletionCustomToolCall, custom_call.ChatCompletionMessageCustomToolCall),
    (inf.OpenAIChatCompletionCustomToolCallCustom, custom_call.Custom),
    (inf.OpenAITokenLogProb, token_logprob.ChatCompletionTokenLogprob),
    (inf.OpenAITopLogProb, token_logprob.TopLogprob),
    (inf.OpenAIChatCompletionUsage, completion_usage.CompletionUsage),
    (inf.OpenAIPromptTokensDetails, completion_usage.PromptTokensDetails),
    (inf.OpenAICompletionTokensDetails, completion_usage.CompletionTokensDetails),
    (inf.OpenAIChatCompletionChunk, oai_chat.ChatCompletionChunk),
    (inf.OpenAIChunkChoice, chat_completion_chunk.Choice),
    (inf.OpenAIChoiceDelta, chat_completion_chunk.ChoiceDelta),
    (inf.OpenAIChoiceDeltaToolCall, chat_completion_chunk.ChoiceDeltaToolCall),
    (inf.OpenAIChoiceDeltaToolCallFunction, chat_completion_chunk.ChoiceDeltaToolCallFunction),
    (inf.OpenAIChoiceDeltaFunctionCall, chat_completion_chunk.ChoiceDeltaFunctionCall),
    (inf.OpenAIChoiceDeltaAudio, chat_completion_chunk.ChoiceDeltaAudio),
    (inf.OpenAICompletion, oai.Completion),
    (inf.OpenAICompletionChoice, completion_choice.CompletionChoice),
    (inf.OpenAICompletionLogprobs, completion_choice.Logprobs),
    (inf.OpenAIEmbeddingsResponse, oai.CreateEmbeddingResponse),
    (inf.OpenAIEmbeddingUsage, create_embedding_response.Usage),
    (inf.OpenAIEmbeddingData, oai.Embedding),
    (inf.ChatCompletionResponse, lsc_shared.ChatCompletionResponse),
    (inf.Metric, lsc.chat_completion_response_stream_chunk.Metric),
    (inf.CompletionMessage, lsc_shared.CompletionMessage),
    (inf.ToolCall, lsc_shared.ToolCall),
    (inf.TextDelta, content_delta.TextDelta),
    (inf.ImageDelta, content_delta.ImageDelta),
    (inf.ToolCallDelta, content_delta.ToolCallDelta),
    (inf.ChatCompletionResponseEvent, lsc.chat_completion_response_stream_chunk.Event),
    (inf.ChatCompletionResponseStreamChunk, lsc.ChatCompletionResponseStreamChunk),
    (inf.CompletionResponse, lsc.CompletionResponse),
    (inf.EmbeddingsResponse, lsc.EmbeddingsResponse),
    (inf.TokenLogProbs, lsc.TokenLogProbs),
    (inf.TextContentItem, interleaved_content.TextContentItem),
    (inf.ImageContentItem, interleaved_content.ImageContentItem),
    (inf.ImageSource, interleaved_content.ImageContentItemImage),
    (inf.URL, interleaved_content.ImageContentItemImageURL),
]


@pytest.mark.parametrize(("ours", "theirs"), RESPONSE_TWINS, ids=lambda t: t.__name__)
def test_response_types_declare_exactly_the_client_fields(ours: type[BaseModel], theirs: Any) -> None:
    # OpenAI-shaped types keep unknown fields, so a missing declaration would go unnoticed elsewhere.
    assert set(ours.model_fields) == set(theirs.model_fields)
