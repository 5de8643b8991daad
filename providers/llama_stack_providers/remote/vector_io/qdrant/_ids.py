"""How the Qdrant store names things: chunk ids to point ids, index ids to collection names."""

from __future__ import annotations

import hashlib
import re
import uuid

# Qdrant point ids must be UUIDs or unsigned ints; chunk ids are arbitrary strings, so they map through uuid5
# in a namespace of our own (fixed forever: changing it would orphan every stored point).
_POINT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/meta-llama/llama-stack/vector-io/chunk")


def chunk_point_id(chunk_id: str) -> str:
    """The Qdrant point id of ``chunk_id`` (the chunk id itself is kept in the payload)."""
    return str(uuid.uuid5(_POINT_NAMESPACE, chunk_id))


def collection_name(prefix: str, index_id: str) -> str:
    """``<prefix><slug>_<sha256[:16]>``: any index id, whatever its characters, gives a short valid name."""
    slug = re.sub(r"[^a-z0-9]+", "_", index_id.lower()).strip("_")[:20]
    digest = hashlib.sha256(index_id.encode("utf-8")).hexdigest()[:16]
    return f"{prefix}{slug}_{digest}" if slug else f"{prefix}{digest}"
