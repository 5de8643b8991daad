"""Content parts of Responses messages: what users send (text, images, files) and what models write (text, refusals).

Wire names follow the ``openai`` SDK's ``types/responses`` exactly; every model
keeps unknown fields (see ``OpenAIModel``) so parts from newer clients pass through.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from ..inference._base import OpenAIModel

# --- input parts -------------------------------------------------------------------------------


class ResponseInputText(OpenAIModel):
    """Text the user (or system/developer) wrote."""

    type: Literal["input_text"] = "input_text"
    text: str


class ResponseInputImage(OpenAIModel):
    """An image by URL (``https:`` or a ``data:`` URL) or by uploaded file id."""

    type: Literal["input_image"] = "input_image"
    # the SDK's output model requires `detail`, so it always has a value here
    detail: Literal["low", "high", "auto", "original"] = "auto"
    image_url: str | None = None
    file_id: str | None = None


class ResponseInputFile(OpenAIModel):
    """A file by uploaded id, by URL, or inline (``file_data``, base64)."""

    type: Literal["input_file"] = "input_file"
    file_id: str | None = None
    file_url: str | None = None
    file_data: str | None = None
    filename: str | None = None


# --- output parts ------------------------------------------------------------------------------


class AnnotationFileCitation(OpenAIModel):
    """The text at ``index`` cites an uploaded file (file search results)."""

    type: Literal["file_citation"] = "file_citation"
    file_id: str
    filename: str
    index: int


class AnnotationURLCitation(OpenAIModel):
    """``text[start_index:end_index]`` cites a web page (web search results)."""

    type: Literal["url_citation"] = "url_citation"
    url: str
    title: str
    start_index: int
    end_index: int


class AnnotationContainerFileCitation(OpenAIModel):
    """A citation of a file in a code-interpreter container; accepted so OpenAI's outputs can be sent back."""

    type: Literal["container_file_citation"] = "container_file_citation"
    container_id: str
    file_id: str
    filename: str
    start_index: int
    end_index: int


class AnnotationFilePath(OpenAIModel):
    """A path to a generated file; accepted so OpenAI's outputs can be sent back."""

    type: Literal["file_path"] = "file_path"
    file_id: str
    index: int


ResponseAnnotation: TypeAlias = Annotated[
    AnnotationFileCitation | AnnotationURLCitation | AnnotationContainerFileCitation | AnnotationFilePath,
    Field(discriminator="type"),
]


class ResponseTopLogprob(OpenAIModel):
    token: str
    logprob: float
    bytes: list[int] = Field(default_factory=list)


class ResponseLogprob(OpenAIModel):
    """One generated token's log probability (in ``output_text.logprobs`` and text delta events)."""

    token: str
    logprob: float
    # the SDK requires `bytes` in output_text logprobs (and ignores it in delta events): never null
    bytes: list[int] = Field(default_factory=list)
    top_logprobs: list[ResponseTopLogprob] = Field(default_factory=list)


class ResponseOutputText(OpenAIModel):
    """Text the model wrote, with the citations it made."""

    type: Literal["output_text"] = "output_text"
    text: str
    annotations: list[ResponseAnnotation] = Field(default_factory=list)
    logprobs: list[ResponseLogprob] | None = None


class ResponseOutputRefusal(OpenAIModel):
    """The model declined; ``refusal`` says why."""

    type: Literal["refusal"] = "refusal"
    refusal: str


ResponseInputContent: TypeAlias = Annotated[
    ResponseInputText | ResponseInputImage | ResponseInputFile, Field(discriminator="type")
]
"""A part of a user/system/developer message, or of a function call's output."""

ResponseOutputContent: TypeAlias = Annotated[
    ResponseOutputText | ResponseOutputRefusal, Field(discriminator="type")
]
"""A part of an assistant message the model wrote."""

ResponseMessageContent: TypeAlias = Annotated[
    ResponseInputText | ResponseInputImage | ResponseInputFile | ResponseOutputText | ResponseOutputRefusal,
    Field(discriminator="type"),
]
"""Any part of a message in a request or a conversation: assistant turns sent back carry output parts."""
