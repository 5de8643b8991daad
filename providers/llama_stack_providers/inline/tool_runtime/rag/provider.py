"""``inline::rag-runtime``: documents into vector stores, and queries back out as formatted context."""

from __future__ import annotations

import asyncio
import base64
import binascii
import urllib.parse
from typing import Any

import aiohttp

from llama_stack_api import (
    Api,
    InvalidRequestError,
    NotFoundError,
    NotSupportedError,
    ToolGroup,
    current_resource,
)
from llama_stack_api.inference import URL, InterleavedContent, TextContentItem
from llama_stack_api.tool_runtime import (
    ListToolDefsResponse,
    RAGDocument,
    RAGQueryConfig,
    RAGQueryResult,
    ToolDef,
    ToolInvocationResult,
    ToolParameter,
)
from llama_stack_api.vector_io import Chunk
from llama_stack_providers.utils.memory.ingest.chunking import chunk_text, default_tokenizer
from llama_stack_providers.utils.memory.ingest.extract import (
    ExtractionError,
    UnsupportedFileType,
    extract_text,
)

from .config import RAGToolRuntimeConfig

RESULTS_HEADER = "knowledge_search tool found {count} chunks:\nBEGIN of knowledge_search tool results.\n"
RESULTS_FOOTER = "END of knowledge_search tool results.\n"
MIN_CHUNK_TOKENS = 16


KNOWLEDGE_SEARCH = ToolDef(
    name="knowledge_search",
    description="Search the knowledge base (the tool group's vector stores) for passages relevant to a query.",
    parameters=[ToolParameter(name="query", parameter_type="string", description="What to look for.")],
)


class RAGToolRuntime:
    """Implements ``ToolRuntime`` over the Vector IO API: the RAG routes and the ``knowledge_search`` tool.

    A group served by this provider (``builtin::rag``) names its stores in ``args.vector_db_ids``;
    a call may name others in its kwargs.
    """

    def __init__(self, config: RAGToolRuntimeConfig, vector_io: Any) -> None:
        self.config = config
        self.vector_io = vector_io

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def list_runtime_tools(
        self, tool_group_id: str | None = None, mcp_endpoint: URL | None = None
    ) -> ListToolDefsResponse:
        if mcp_endpoint is not None:
            raise NotSupportedError(
                "inline::rag-runtime serves the RAG tool, not MCP servers", param="mcp_endpoint"
            )
        return ListToolDefsResponse(data=[KNOWLEDGE_SEARCH])

    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        if tool_name != KNOWLEDGE_SEARCH.name:
            raise NotFoundError(f"inline::rag-runtime has no tool {tool_name!r}; it has knowledge_search")
        group = current_resource()
        group_args = (group.args or {}) if isinstance(group, ToolGroup) else {}
        vector_db_ids = kwargs.get("vector_db_ids") or group_args.get("vector_db_ids") or []
        query = kwargs.get("query")
        if not isinstance(query, str) or not query.strip():
            return ToolInvocationResult(error_message="knowledge_search needs a non-empty `query` string")
        if not vector_db_ids:
            return ToolInvocationResult(
                error_message="knowledge_search has no vector stores: set the group's args.vector_db_ids"
            )
        config = RAGQueryConfig.model_validate(group_args.get("query_config") or {})
        result = await self.rag_tool_query(
            content=query, vector_db_ids=list(vector_db_ids), query_config=config
        )
        return ToolInvocationResult(content=result.content, metadata=result.metadata)

    async def rag_tool_insert(
        self, documents: list[RAGDocument], vector_db_id: str, chunk_size_in_tokens: int = 512
    ) -> None:
        if not 16 <= chunk_size_in_tokens <= 4096:
            raise InvalidRequestError(
                "chunk_size_in_tokens must be between 16 and 4096", param="chunk_size_in_tokens"
            )
        overlap = chunk_size_in_tokens // 4
        chunks: list[Chunk] = []
        for position, document in enumerate(documents):
            text = await self._document_text(document, position)
            pieces = await asyncio.to_thread(
                chunk_text,
                text,
                max_chunk_size_tokens=chunk_size_in_tokens,
                chunk_overlap_tokens=overlap,
                min_chunk_size_tokens=MIN_CHUNK_TOKENS,
            )
            for piece in pieces:
                chunks.append(
                    Chunk(
                        content=piece.text,
                        metadata={
                            **document.metadata,
                            "document_id": document.document_id,
                            "chunk_index": piece.index,
                            "token_count": piece.token_count,
                        },
                        chunk_id=f"{document.document_id}:{piece.index}",
                    )
                )
        if chunks:
            await self.vector_io.insert_chunks(vector_db_id=vector_db_id, chunks=chunks)

    async def rag_tool_query(
        self,
        content: InterleavedContent,
        vector_db_ids: list[str],
        query_config: RAGQueryConfig | None = None,
    ) -> RAGQueryResult:
        config = query_config or RAGQueryConfig()
        separator = getattr(config.query_generator_config, "separator", " ")
        query = _text(content, separator).strip()
        if not query:
            raise InvalidRequestError("the query content is empty", param="content")
        if not vector_db_ids:
            raise InvalidRequestError("vector_db_ids is empty", param="vector_db_ids")
        params: dict[str, Any] = {"max_chunks": config.max_chunks, "mode": config.mode or "vector"}
        if config.ranker is not None:
            params["ranker"] = config.ranker.model_dump()
        answers = await asyncio.gather(
            *(
                self.vector_io.query_chunks(vector_db_id=db, query=query, params=params)
                for db in vector_db_ids
            )
        )
        scored = sorted(
            (
                (score, chunk)
                for answer in answers
                for chunk, score in zip(answer.chunks, answer.scores, strict=True)
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )[: config.max_chunks]
        tokenizer = default_tokenizer()
        budget = config.max_tokens_in_context
        items = []
        kept: list[tuple[float, Chunk]] = []
        for index, (score, chunk) in enumerate(scored, start=1):
            text = _format(config.chunk_template, index, chunk)
            cost = len(tokenizer.encode(text))
            if cost > budget:
                break
            budget -= cost
            items.append(TextContentItem(text=text))
            kept.append((score, chunk))
        if not kept:
            return RAGQueryResult(content=None, metadata={"document_ids": [], "chunks": [], "scores": []})
        return RAGQueryResult(
            content=[
                TextContentItem(text=RESULTS_HEADER.format(count=len(kept))),
                *items,
                TextContentItem(text=RESULTS_FOOTER),
            ],
            metadata={
                "document_ids": [chunk.metadata.get("document_id") for _, chunk in kept],
                "chunks": [_text(chunk.content, " ") for _, chunk in kept],
                "scores": [score for score, _ in kept],
            },
        )

    async def _document_text(self, document: RAGDocument, position: int) -> str:
        where = f"documents[{position}]"
        if isinstance(document.content, URL):
            data, mime = await self._fetch(document.content.uri, where)
            try:
                extracted = await asyncio.to_thread(
                    extract_text,
                    data,
                    filename=_url_filename(document.content.uri),
                    mime_type=document.mime_type or mime,
                )
            except (UnsupportedFileType, ExtractionError) as exc:
                raise InvalidRequestError(f"{where} ({document.document_id}): {exc}", param=where) from None
            return extracted.text
        return _text(document.content, "\n")

    async def _fetch(self, uri: str, where: str) -> tuple[bytes, str | None]:
        scheme = urllib.parse.urlsplit(uri).scheme.lower()
        if scheme == "data":
            header, _, payload = uri.partition(",")
            mime = header[5:].split(";")[0] or None
            try:
                data = (
                    base64.b64decode(payload)
                    if ";base64" in header
                    else urllib.parse.unquote_to_bytes(payload)
                )
            except (binascii.Error, ValueError) as exc:
                raise InvalidRequestError(f"{where}: bad data: URL ({exc})", param=where) from None
            return data, mime
        if scheme not in ("http", "https"):
            raise InvalidRequestError(
                f"{where}: only http(s) and data: URLs can be fetched, not {scheme!r}", param=where
            )
        timeout = aiohttp.ClientTimeout(total=self.config.fetch_timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(uri) as response:
                if response.status >= 400:
                    raise InvalidRequestError(
                        f"{where}: fetching {uri} answered HTTP {response.status}", param=where
                    )
                body = bytearray()
                async for piece in response.content.iter_chunked(1 << 16):
                    body += piece
                    if len(body) > self.config.max_document_bytes:
                        raise InvalidRequestError(
                            f"{where}: {uri} is larger than {self.config.max_document_bytes} bytes",
                            param=where,
                        )
                return bytes(body), response.content_type
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise InvalidRequestError(f"{where}: cannot fetch {uri}: {exc}", param=where) from None


def _text(content: Any, separator: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return separator.join(filter(None, (_text(item, separator) for item in content)))
    text = getattr(content, "text", None)
    return text if isinstance(text, str) else ""


def _format(template: str, index: int, chunk: Chunk) -> str:
    try:
        return template.format(index=index, chunk=_ChunkView(chunk), metadata=chunk.metadata)
    except (KeyError, IndexError, AttributeError) as exc:
        raise InvalidRequestError(
            f"chunk_template cannot be filled ({exc!r}); placeholders: {{index}}, {{chunk.content}}, {{metadata}}",
            param="query_config.chunk_template",
        ) from None


class _ChunkView:
    """What ``{chunk.content}`` in a template reads: the chunk's text."""

    def __init__(self, chunk: Chunk) -> None:
        self.content = _text(chunk.content, " ")
        self.metadata = chunk.metadata


def _url_filename(uri: str) -> str:
    path = urllib.parse.urlsplit(uri).path
    return path.rsplit("/", 1)[-1] or "document"


async def create(config: RAGToolRuntimeConfig, deps: dict[Api, Any]) -> RAGToolRuntime:
    return RAGToolRuntime(config, deps[Api.vector_io])
