"""The records a vector-io provider keeps in its kv namespace: stores, attached files, file batches."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from llama_stack_api import KeyValueStore
from llama_stack_api.vector_io import VectorStoreFileObject, VectorStoreObject


class FileRecord(BaseModel):
    """A store's file as the API shows it, plus what ingestion needs to know."""

    file: VectorStoreFileObject
    filename: str = ""
    chunk_count: int = 0
    batch_id: str | None = None
    deleting: bool = False  # removal started: chunks may be partly gone, so finish it at startup


class BatchRecord(BaseModel):
    id: str
    vector_store_id: str
    created_at: int
    file_ids: list[str]
    cancelled: bool = False


class StoreRecord(BaseModel):
    store: VectorStoreObject
    deleting: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)


class Records:
    """Typed access to the provider's kv namespace; keys are ``store:``, ``file:``, ``batch:`` + ids."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv

    async def stores(self) -> list[StoreRecord]:
        return [StoreRecord.model_validate_json(v) for _, v in await self.kv.items_with_prefix("store:")]

    async def store(self, store_id: str) -> StoreRecord | None:
        raw = await self.kv.get(f"store:{store_id}")
        return StoreRecord.model_validate_json(raw) if raw is not None else None

    async def put_store(self, record: StoreRecord) -> None:
        await self.kv.set(f"store:{record.store.id}", record.model_dump_json())

    async def delete_store(self, store_id: str) -> None:
        await self.kv.delete(f"store:{store_id}")

    async def files(self, store_id: str) -> list[FileRecord]:
        return [
            FileRecord.model_validate_json(v) for _, v in await self.kv.items_with_prefix(f"file:{store_id}:")
        ]

    async def file(self, store_id: str, file_id: str) -> FileRecord | None:
        raw = await self.kv.get(f"file:{store_id}:{file_id}")
        return FileRecord.model_validate_json(raw) if raw is not None else None

    async def put_file(self, record: FileRecord) -> None:
        await self.kv.set(f"file:{record.file.vector_store_id}:{record.file.id}", record.model_dump_json())

    async def delete_file(self, store_id: str, file_id: str) -> None:
        await self.kv.delete(f"file:{store_id}:{file_id}")

    async def batches(self, store_id: str) -> list[BatchRecord]:
        return [
            BatchRecord.model_validate_json(v)
            for _, v in await self.kv.items_with_prefix(f"batch:{store_id}:")
        ]

    async def batch(self, store_id: str, batch_id: str) -> BatchRecord | None:
        raw = await self.kv.get(f"batch:{store_id}:{batch_id}")
        return BatchRecord.model_validate_json(raw) if raw is not None else None

    async def put_batch(self, record: BatchRecord) -> None:
        await self.kv.set(f"batch:{record.vector_store_id}:{record.id}", record.model_dump_json())

    async def delete_batch(self, store_id: str, batch_id: str) -> None:
        await self.kv.delete(f"batch:{store_id}:{batch_id}")
