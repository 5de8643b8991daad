"""OpenAI's base64 embedding encoding: the vector as little-endian float32 bytes, base64-encoded."""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence


def embedding_to_base64(vector: Sequence[float]) -> str:
    """What ``encoding_format="base64"`` sends (the openai SDK decodes it with numpy's ``<f4``)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
