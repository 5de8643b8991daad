"""A session's documents: indexed into the session's own vector store, searched for every later turn.

The store is created on the session's first documents (through the Vector IO
API, with the stack's default embedding model) and dropped with the session.
Each turn of such a session starts with a memory-retrieval step: the passages
most relevant to the turn's input are added to it, so even a model that does
not call tools answers from the documents; models that do call tools also get
``knowledge_search`` over the same store.
"""

from __future__ import annotations

import contextlib
from typing import Any

from llama_stack_api import InvalidRequestError, NotFoundError, ResourceType
from llama_stack_api.agents import Document
from llama_stack_api.plugins import ResourceLookup
from llama_stack_api.tool_runtime import RAGDocument, RAGQueryConfig
from llama_stack_providers.utils.memory.ingest.fitted_chunks import auto_chunking

from . import engine
from .agent_tools import interleaved_text
from .config import MetaReferenceAgentsConfig
from .store import AgentStore, SessionRecord


class SessionDocuments:
    def __init__(
        self,
        config: MetaReferenceAgentsConfig,
        store: AgentStore,
        vector_io: Any | None,
        tool_runtime: Any | None,
        resources: ResourceLookup | None = None,
    ) -> None:
        self.resources = resources
        self.config = config
        self.store = store
        self.vector_io = vector_io
        self.tool_runtime = tool_runtime

    def check_available(self) -> None:
        if self.vector_io is None or self.tool_runtime is None:
            raise InvalidRequestError(
                "documents need the vector_io and tool_runtime APIs (with the builtin::rag tool group) in this stack",
                param="documents",
            )

    async def retrieve(
        self, step_id: str, session: SessionRecord, documents: list[Document], query: str
    ) -> engine.MemoryRetrievalDone:
        """Index ``documents`` (if any) into the session's store, then find context for ``query``."""
        started = engine.now()
        self.check_available()
        assert self.vector_io is not None and self.tool_runtime is not None
        if documents:
            if session.vector_store_id is None:
                created = await self.vector_io.openai_create_vector_store(
                    name=f"agent-session-{session.session_id}",
                    metadata={"agent_id": session.agent_id, "session_id": session.session_id},
                )
                session.vector_store_id = created.id
                await self.store.put_session(session)
            rag_documents = [
                RAGDocument(
                    document_id=f"{step_id}-{index}",
                    content=document.content,
                    mime_type=document.mime_type,
                    metadata={"session_id": session.session_id},
                )
                for index, document in enumerate(documents)
            ]
            await self.tool_runtime.rag_tool_insert(
                documents=rag_documents,
                vector_db_id=session.vector_store_id,
                chunk_size_in_tokens=self._chunk_tokens(session.vector_store_id),
            )
        store_id = session.vector_store_id
        assert store_id is not None
        context = ""
        if query.strip():
            result = await self.tool_runtime.rag_tool_query(
                content=query,
                vector_db_ids=[store_id],
                query_config=RAGQueryConfig(max_chunks=self.config.retrieval_max_chunks),
            )
            context = interleaved_text(result.content)
        return engine.MemoryRetrievalDone(step_id, started, engine.now(), [store_id], context)

    def _chunk_tokens(self, store_id: str) -> int:
        if self.config.document_chunk_tokens is not None:
            return self.config.document_chunk_tokens
        store = self.resources.find(ResourceType.vector_store, store_id) if self.resources else None
        size, _ = auto_chunking(self.resources, getattr(store, "embedding_model", None))
        return size

    async def drop(self, vector_store_id: str | None) -> None:
        if vector_store_id is None or self.vector_io is None:
            return
        with contextlib.suppress(NotFoundError):  # already gone: nothing to clean up
            await self.vector_io.openai_delete_vector_store(vector_store_id=vector_store_id)
