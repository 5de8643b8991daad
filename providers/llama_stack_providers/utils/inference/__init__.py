"""What inference providers share: serving the native llama-stack-client 0.2.x methods from OpenAI-shaped ones.

``NativeOverOpenAIMixin`` is what a provider inherits; the conversion
functions are public too, for a provider that streams or post-processes
differently but wants the same shapes. ``RemoteHTTPConfig`` holds the
connection settings every remote provider's config shares.
"""

from ._native_to_openai import (
    OpenAISamplingOptions,
    content_text,
    openai_content_from_native,
    openai_messages_from_native,
    openai_response_format_from_native,
    openai_sampling_from_native,
    openai_tool_choice_from_native,
    openai_tools_from_native,
    resolve_tool_config,
)
from ._openai_to_native import (
    native_chat_response_from_openai,
    native_chat_stream_from_native_response,
    native_chat_stream_from_openai,
    native_completion_response_from_openai,
    native_completion_stream_from_openai,
    native_logprobs_from_openai,
    native_metrics_from_openai,
    native_tool_call_from_openai,
    stop_reason_from_openai,
)
from .native_adapter import NativeOverOpenAIMixin, vectors_from_openai
from .remote_config import RemoteHTTPConfig

__all__ = [
    "NativeOverOpenAIMixin",
    "OpenAISamplingOptions",
    "RemoteHTTPConfig",
    "content_text",
    "native_chat_response_from_openai",
    "native_chat_stream_from_native_response",
    "native_chat_stream_from_openai",
    "native_completion_response_from_openai",
    "native_completion_stream_from_openai",
    "native_logprobs_from_openai",
    "native_metrics_from_openai",
    "native_tool_call_from_openai",
    "openai_content_from_native",
    "openai_messages_from_native",
    "openai_response_format_from_native",
    "openai_sampling_from_native",
    "openai_tool_choice_from_native",
    "openai_tools_from_native",
    "resolve_tool_config",
    "stop_reason_from_openai",
    "vectors_from_openai",
]
