"""Files API (OpenAI-compatible): upload, list, retrieve, download and delete files.

Files are inputs to other APIs — vector stores ingest them, batches and
fine-tuning read them. Uploads are ``multipart/form-data`` with a ``file``
part and a ``purpose`` field, as the ``openai`` SDK sends them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from ._routes import webmethod
from .apis import Api, ApiSpec
from .uploads import BinaryContent, UploadFile


class OpenAIFilePurpose(StrEnum):
    assistants = "assistants"
    batch = "batch"
    fine_tune = "fine-tune"
    vision = "vision"
    user_data = "user_data"
    evals = "evals"


class ExpiresAfter(BaseModel):
    """``expires_after[anchor]=created_at&expires_after[seconds]=N``: the file is deleted N seconds after upload."""

    model_config = ConfigDict(extra="forbid")

    anchor: Literal["created_at"] = "created_at"
    seconds: int = Field(ge=3600, le=2_592_000, description="Between one hour and 30 days.")


class OpenAIFileObject(BaseModel):
    """An uploaded file (OpenAI's ``file`` object)."""

    object: Literal["file"] = "file"
    id: str
    bytes: int
    created_at: int
    expires_at: int | None = None
    filename: str
    purpose: OpenAIFilePurpose
    status: Literal["uploaded", "processed", "error"] = "processed"


class ListOpenAIFileResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[OpenAIFileObject]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None


class OpenAIFileDeleteResponse(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: bool = True


@runtime_checkable
class Files(Protocol):
    """Store files for the other APIs to use."""

    @webmethod("POST", "/v1/files", openai=True, summary="Upload a file (multipart/form-data).")
    async def openai_upload_file(
        self, file: UploadFile, purpose: OpenAIFilePurpose, expires_after: ExpiresAfter | None = None
    ) -> OpenAIFileObject:
        """Store the upload; the file is visible only once it is whole.

        Raises ``InvalidRequestError`` for a missing part or a bad purpose or
        expiry, and ``PayloadTooLargeError`` (413) over the upload limit.
        """
        ...

    @webmethod("GET", "/v1/files", openai=True, summary="List files.")
    async def openai_list_files(
        self,
        after: str | None = None,
        limit: int | None = 10000,
        order: Literal["asc", "desc"] | None = "desc",
        purpose: OpenAIFilePurpose | None = None,
    ) -> ListOpenAIFileResponse:
        """Files by creation time; ``after`` is the last id of the previous page.

        Raises ``InvalidRequestError`` when ``limit`` is out of 1..10000 or ``after`` is unknown.
        """
        ...

    @webmethod("GET", "/v1/files/{file_id}", openai=True, summary="Get a file's metadata.")
    async def openai_retrieve_file(self, file_id: str) -> OpenAIFileObject:
        """Raises ``NotFoundError`` when there is no such file (or it expired)."""
        ...

    @webmethod("GET", "/v1/files/{file_id}/content", openai=True, summary="Download a file's content.")
    async def openai_retrieve_file_content(self, file_id: str) -> BinaryContent:
        """Raises ``NotFoundError`` when there is no such file (or it expired)."""
        ...

    @webmethod("DELETE", "/v1/files/{file_id}", openai=True, summary="Delete a file.")
    async def openai_delete_file(self, file_id: str) -> OpenAIFileDeleteResponse:
        """Raises ``NotFoundError`` when there is no such file."""
        ...


API_SPEC = ApiSpec(api=Api.files, protocol=Files, description="Files (OpenAI-compatible)")
