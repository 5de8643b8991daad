"""The faiss side of inline::faiss: building indexes, checking loaded ones, saving and finding their files."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import faiss
import numpy as np

Kind = Literal["flat", "hnsw"]

_FILE = re.compile(r"index_(\d+)\.faiss(\.tmp)?")

if TYPE_CHECKING:
    # faiss's bundled stubs (1.15) omit SearchParametersHNSW, which the compiled module has: declared here
    class SearchParametersHNSW(faiss.SearchParameters):
        efSearch: int

else:
    SearchParametersHNSW = faiss.SearchParametersHNSW


class _HNSWGraph(Protocol):
    """``faiss.HNSW`` as used here; its stubs lack ``nb_neighbors``."""

    def nb_neighbors(self, layer_no: int) -> int: ...


def index_path(directory: Path, number: int) -> Path:
    return directory / f"index_{number}.faiss"


def new_index(dimension: int, kind: Kind, hnsw_m: int, ef_construction: int) -> Any:
    """An empty ``IndexIDMap2`` over inner product (cosine on unit vectors), so vectors carry our row ids."""
    inner: faiss.Index
    if kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = ef_construction
    else:
        inner = faiss.IndexFlatIP(dimension)
    return faiss.IndexIDMap2(inner)


def fits(index: Any, dimension: int, kind: Kind, hnsw_m: int) -> bool:
    """Whether a loaded index matches the store's settings (else the caller rebuilds it from SQLite)."""
    if not isinstance(index, faiss.IndexIDMap2) or index.d != dimension:
        return False
    inner = faiss.downcast_index(index.index)
    if inner.metric_type != faiss.METRIC_INNER_PRODUCT:
        return False
    if kind == "hnsw":
        # cast: faiss's stubs declare HNSW without nb_neighbors, which the real class has
        return (
            isinstance(inner, faiss.IndexHNSWFlat) and cast(_HNSWGraph, inner.hnsw).nb_neighbors(1) == hnsw_m
        )
    return isinstance(inner, faiss.IndexFlat)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    unit = np.array(matrix, dtype=np.float32, order="C", ndmin=2)
    faiss.normalize_L2(unit)  # leaves a zero vector at zero
    return unit


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_atomically(index: Any, path: Path) -> None:
    """Readers of ``path`` see the old file or the new one, never a torn one, even across a power cut."""
    temporary = path.with_name(path.name + ".tmp")
    faiss.write_index(index, str(temporary))
    _fsync(temporary)
    os.replace(temporary, path)
    _fsync(path.parent)  # makes the rename itself durable


def read_or_none(path: Path) -> Any | None:
    """The index in ``path``; ``None`` if there is none or it cannot be read (truncated, corrupt)."""
    if not path.exists():
        return None
    try:
        return faiss.read_index(str(path))
    except RuntimeError:  # how faiss reports an unreadable file
        return None


def stale_files(directory: Path, live_numbers: set[int]) -> list[Path]:
    """Temp files of interrupted saves, and files of indexes whose drop was interrupted after its commit."""
    stale = []
    for path in directory.iterdir():
        match = _FILE.fullmatch(path.name)
        if match and (match.group(2) or int(match.group(1)) not in live_numbers):
            stale.append(path)
    return stale
