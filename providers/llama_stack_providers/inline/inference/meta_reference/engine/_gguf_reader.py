"""A minimal GGUF parser: metadata and memory-mapped tensor views, fast enough for 128K-token vocabularies.

``gguf.GGUFReader`` builds a numpy view per array element and takes seconds on
a vocabulary of 128K tokens; this reads the same header in a fraction of that.
Dequantisation stays with the ``gguf`` package (``gguf.quants``).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_MAGIC = b"GGUF"
_DEFAULT_ALIGNMENT = 32
# GGUF value types -> struct format
_SCALARS = {
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
_NUMPY = {
    0: "<u1",
    1: "<i1",
    2: "<u2",
    3: "<i2",
    4: "<u4",
    5: "<i4",
    6: "<f4",
    7: "?",
    10: "<u8",
    11: "<i8",
    12: "<f8",
}
_STRING, _ARRAY = 8, 9


class GGUFFormatError(ValueError):
    """The file is not GGUF, or is truncated or malformed."""


@dataclass(frozen=True)
class GGUFTensor:
    """One tensor's header: ``shape`` is numpy order (rows first), ``data`` the raw bytes as stored."""

    name: str
    shape: tuple[int, ...]
    type_id: int
    data: np.ndarray


class _Cursor:
    def __init__(self, buffer: memoryview) -> None:
        self.buf = buffer
        self.pos = 0

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise GGUFFormatError(f"truncated at byte {self.pos}")
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        length = self.unpack("<Q")
        end = self.pos + length
        if end > len(self.buf):
            raise GGUFFormatError(f"truncated string at byte {self.pos}")
        text = bytes(self.buf[self.pos : end]).decode("utf-8", errors="replace")
        self.pos = end
        return text

    def value(self, type_id: int) -> Any:
        if type_id in _SCALARS:
            return self.unpack(_SCALARS[type_id])
        if type_id == _STRING:
            return self.string()
        if type_id == _ARRAY:
            item_type = self.unpack("<I")
            count = self.unpack("<Q")
            if item_type in _NUMPY:
                dtype = np.dtype(_NUMPY[item_type])
                if self.pos + dtype.itemsize * count > len(self.buf):
                    raise GGUFFormatError(f"truncated array at byte {self.pos}")
                array = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
                self.pos += dtype.itemsize * count
                return array.tolist()
            return [self.value(item_type) for _ in range(count)]
        raise GGUFFormatError(f"unknown value type {type_id} at byte {self.pos}")


class GGUFFile:
    """A GGUF file opened read-only: ``metadata`` (key -> Python value) and ``tensors`` (name -> GGUFTensor)."""

    def __init__(self, path: Path) -> None:
        import gguf

        with path.open("rb") as f:
            self._mmap = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(self._mmap)
        cur = _Cursor(buf)
        if bytes(buf[:4]) != _MAGIC:
            raise GGUFFormatError("does not start with the GGUF magic bytes")
        cur.pos = 4
        self.version = cur.unpack("<I")
        if self.version not in (2, 3):
            raise GGUFFormatError(
                f"GGUF version {self.version} is not supported (2 and 3 are; big-endian files are not)"
            )
        n_tensors = cur.unpack("<Q")
        n_kv = cur.unpack("<Q")
        self.metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cur.string()
            self.metadata[key] = cur.value(cur.unpack("<I"))
        infos = []
        for _ in range(n_tensors):
            name = cur.string()
            n_dims = cur.unpack("<I")
            dims = [cur.unpack("<Q") for _ in range(n_dims)]
            infos.append((name, dims, cur.unpack("<I"), cur.unpack("<Q")))
        alignment = int(self.metadata.get("general.alignment", _DEFAULT_ALIGNMENT))
        data_start = (cur.pos + alignment - 1) // alignment * alignment
        self.tensors: dict[str, GGUFTensor] = {}
        for name, dims, type_id, offset in infos:
            try:
                qtype = gguf.GGMLQuantizationType(type_id)
            except ValueError as exc:
                raise GGUFFormatError(f"tensor {name} has unknown type {type_id}") from exc
            block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
            # stored rows: every dimension but the first (GGUF lists the fastest-varying first)
            shape = tuple(int(d) for d in reversed(dims))
            row_bytes = dims[0] // block_size * type_size
            n_rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            start = data_start + offset
            if start + n_rows * row_bytes > len(buf):
                raise GGUFFormatError(f"tensor {name} runs past the end of the file")
            raw = np.frombuffer(buf, dtype=np.uint8, count=n_rows * row_bytes, offset=start)
            self.tensors[name] = GGUFTensor(name, shape, type_id, raw.reshape(*shape[:-1], row_bytes))
