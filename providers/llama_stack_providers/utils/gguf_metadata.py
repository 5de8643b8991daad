"""Read the key/value metadata of a GGUF file's header with the standard library only.

A GGUF file opens with ``b"GGUF"``, a version, a tensor count, a key/value count
and then the key/values themselves (little-endian). Reading them is enough to
validate a file and describe it (architecture, context length, chat template)
without an inference engine. Arrays (the tokenizer's vocabulary, ~50k strings)
are skipped and reported by their length, so reading stays fast.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

# value type id -> struct format of a scalar; 8 is a string, 9 an array
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING = 8
_ARRAY = 9
# a key or string value longer than this is a corrupt length, not real metadata
_MAX_STRING_BYTES = 64 * 1024 * 1024


class GGUFFormatError(ValueError):
    """The file is not a GGUF file this reader understands (or is truncated)."""


@dataclass(frozen=True)
class GGUFArray:
    """An array value that was skipped: its element type and length."""

    element_type: int
    length: int


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Any]

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    def arch_value(self, key: str) -> Any:
        """``<architecture>.<key>``, e.g. ``arch_value("context_length")``."""
        return self.metadata.get(f"{self.architecture}.{key}") if self.architecture else None


def read_gguf_header(path: Path) -> GGUFHeader:
    """Parse the header of ``path``; raises ``GGUFFormatError`` saying what is wrong."""
    with path.open("rb") as f:
        magic = f.read(4)
        if magic != GGUF_MAGIC:
            raise GGUFFormatError(f"{path}: not a GGUF file (starts with {magic!r}, expected {GGUF_MAGIC!r})")
        (version,) = _unpack(f, "<I", path)
        if version not in SUPPORTED_VERSIONS:
            raise GGUFFormatError(
                f"{path}: GGUF version {version} is not supported; expected one of {SUPPORTED_VERSIONS} "
                "(convert it again with a recent llama.cpp)"
            )
        tensor_count, kv_count = _unpack(f, "<QQ", path)
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = _read_string(f, path)
            (value_type,) = _unpack(f, "<I", path)
            metadata[key] = _read_value(f, value_type, path)
    return GGUFHeader(version=version, tensor_count=tensor_count, metadata=metadata)


def is_gguf_file(path: Path) -> bool:
    """Whether ``path`` is a file starting with the GGUF magic bytes."""
    try:
        with path.open("rb") as f:
            return f.read(4) == GGUF_MAGIC
    except OSError:
        return False


def _unpack(f: BinaryIO, fmt: str, path: Path) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise GGUFFormatError(f"{path}: truncated GGUF header")
    return struct.unpack(fmt, data)


def _read_string(f: BinaryIO, path: Path) -> str:
    (length,) = _unpack(f, "<Q", path)
    if length > _MAX_STRING_BYTES:
        raise GGUFFormatError(f"{path}: corrupt GGUF header (a string claims {length} bytes)")
    data = f.read(length)
    if len(data) != length:
        raise GGUFFormatError(f"{path}: truncated GGUF header")
    return data.decode("utf-8", errors="replace")


def _read_value(f: BinaryIO, value_type: int, path: Path) -> Any:
    if value_type in _SCALARS:
        return _unpack(f, _SCALARS[value_type], path)[0]
    if value_type == _STRING:
        return _read_string(f, path)
    if value_type == _ARRAY:
        element_type, length = _unpack(f, "<IQ", path)
        if element_type in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[element_type]) * length, 1)
        elif element_type == _STRING:
            for _ in range(length):
                (size,) = _unpack(f, "<Q", path)
                f.seek(size, 1)
        else:
            for _ in range(length):
                _read_value(f, element_type, path)
        return GGUFArray(element_type=element_type, length=length)
    raise GGUFFormatError(f"{path}: corrupt GGUF header (unknown value type {value_type})")
