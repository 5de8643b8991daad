"""In-memory mirror of a sqlite-vec index's vectors: exact cosine when small, bit-code pre-filter when large.

vec0's brute-force KNN costs ~80 ms at 100k×384 float on this class of machine, and its quantised columns
do not rescue it (int8: ~90 ms; a bit[384] column asked for the 2000 re-ranking candidates: ~230 ms, its
top-k grows with k). So each open index keeps this mirror, loaded from vec0, which holds per vector

* the unit float32 vector (exact scores; a query's candidates are gathered from it), and
* a ``code_bits``-bit SimHash code: the signs of the vector's projection on fixed random hyperplanes,
  whose Hamming distance to the query's code estimates the angle between them.

Up to ``quantized_above`` vectors a query is one exact matrix-vector product. Above it the Hamming
distance (XOR + popcount over 128 bytes a vector at 1024 bits, 12 MB at 100k instead of 150 MB of
floats) picks ``max(rerank_candidates, 10·k)`` candidates and only those are scored exactly. Uniform
random 384-d vectors — the worst case, with no cluster structure — need 1024 bits and ~3000 candidates
for recall@10 ≥ 0.95 at 100k; real embeddings, which cluster, need far fewer. The codes are never
stored: they are recomputed from the vectors when the mirror is loaded, so the hyperplanes may change.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np

_SEED = 0x5EC7
_ENCODE_BATCH = 8192


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    # einsum's single-threaded SIMD loop: OpenBLAS's row-major gemv is 2x slower here, and its threads stall
    # behind any other busy core (12 ms instead of 3 ms for 20k rows on a loaded 2-core machine)
    scores: np.ndarray = np.einsum("ij,j->i", matrix, vector)
    return scores


@functools.cache  # one set per (dimension, bits), shared by every mirror: a QR of 384×384 costs ~40 ms
def _hyperplanes(dimension: int, count: int) -> np.ndarray:
    """``count`` hyperplane normals as columns: stacked random orthogonal bases rather than independent
    Gaussians, because bits from orthogonal hyperplanes are negatively correlated, which lowers the
    variance of the angle estimate (recall@10 at 100k uniform vectors, 3000 candidates: 0.90 → 0.97)."""
    rng = np.random.default_rng(_SEED)
    blocks = [
        np.linalg.qr(rng.standard_normal((dimension, dimension)))[0] for _ in range(-(-count // dimension))
    ]
    planes = np.concatenate(blocks, axis=1)[:, :count].astype(np.float32)
    planes.setflags(write=False)  # shared through the cache
    return planes


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # a zero vector stays zero (score 0 with everything) instead of turning into NaNs
    return (vectors / np.where(norms == 0.0, 1.0, norms)).astype(np.float32, copy=False)


class VectorMirror:
    """The vectors of one index, keyed by row id, with slots packed at the front (removal moves the last one in)."""

    def __init__(
        self, dimension: int, *, quantized_above: int, code_bits: int = 1024, rerank_candidates: int = 3000
    ) -> None:
        if code_bits <= 0 or code_bits % 64:
            raise ValueError("code_bits must be a positive multiple of 64")
        self.dimension = dimension
        self.quantized_above = quantized_above
        self.rerank_candidates = rerank_candidates
        self._size = 0
        self._ids = np.empty(0, dtype=np.int64)
        self._vectors = np.empty((0, dimension), dtype=np.float32)
        # word-major (words × capacity): the Hamming scan is then a few ufuncs over long contiguous rows,
        # 5x faster than XOR + popcount + a sum over a short trailing axis. Computed only once the mirror
        # first outgrows quantized_above: projecting costs ~0.4 MFLOP a vector, wasted on a small index.
        self._codes = np.empty((code_bits // 64, 0), dtype=np.uint64)
        self._coded = False
        self._slot: dict[int, int] = {}

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        return self._ids.nbytes + self._vectors.nbytes + self._codes.nbytes

    def _encode(self, unit: np.ndarray) -> np.ndarray:
        """``(words, rows)`` codes of unit row vectors."""
        bits = np.packbits((unit @ _hyperplanes(self.dimension, self._codes.shape[0] * 64)) > 0, axis=-1)
        return bits.view(np.uint64).T

    def _encode_slots(self, start: int, end: int) -> None:
        # in slices, so the float projections (4 KB a vector at 1024 bits) never pile up
        for first in range(start, end, _ENCODE_BATCH):
            last = min(first + _ENCODE_BATCH, end)
            self._codes[:, first:last] = self._encode(self._vectors[first:last])

    def _reserve(self, size: int) -> None:
        capacity = len(self._ids)
        if size <= capacity:
            return
        # grow by half again, so a stream of small adds costs amortised O(1) copies per vector
        capacity = max(size, capacity + capacity // 2, 1024)
        ids = np.empty(capacity, dtype=np.int64)
        vectors = np.empty((capacity, self.dimension), dtype=np.float32)
        ids[: self._size] = self._ids[: self._size]
        vectors[: self._size] = self._vectors[: self._size]
        self._ids, self._vectors = ids, vectors
        if self._coded:
            codes = np.empty((self._codes.shape[0], capacity), dtype=np.uint64)
            codes[:, : self._size] = self._codes[:, : self._size]
            self._codes = codes

    def add(self, rowids: np.ndarray, vectors: np.ndarray) -> None:
        """Append vectors under new row ids (the store never re-adds a live id: it removes the old one first)."""
        if len(rowids) == 0:
            return
        unit = _unit_rows(vectors)
        start, end = self._size, self._size + len(rowids)
        self._reserve(end)
        self._ids[start:end] = rowids
        self._vectors[start:end] = unit
        self._slot.update(zip(rowids.tolist(), range(start, end), strict=True))
        self._size = end
        if self._coded:
            self._encode_slots(start, end)
        elif end > self.quantized_above:
            self._codes = np.empty((self._codes.shape[0], len(self._ids)), dtype=np.uint64)
            self._coded = True
            self._encode_slots(0, end)

    def remove(self, rowids: Iterable[int]) -> None:
        for rowid in rowids:
            slot = self._slot.pop(rowid, None)
            if slot is None:
                continue
            last = self._size - 1
            if slot != last:
                moved = int(self._ids[last])
                self._ids[slot] = moved
                self._vectors[slot] = self._vectors[last]
                if self._coded:
                    self._codes[:, slot] = self._codes[:, last]
                self._slot[moved] = slot
            self._size = last

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(rowids, cosine scores)`` of the ``k`` best, best first (ties: lower row id first)."""
        size = self._size
        k = min(k, size)
        if k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        unit = _unit_rows(query.reshape(1, -1))[0]
        candidates = max(self.rerank_candidates, 10 * k)
        if not self._coded or size <= self.quantized_above or candidates >= size:
            slots = np.arange(size)
            scores = _dot(self._vectors[:size], unit)
        else:
            # ascending slots make the gather a forward walk through memory
            slots = np.sort(self._nearest_codes(unit, candidates))
            scores = _dot(self._vectors[slots], unit)
        if k < len(scores):
            best = np.argpartition(-scores, k - 1)[:k]
            slots, scores = slots[best], scores[best]
        ids = self._ids[slots]
        order = np.lexsort((ids, -scores))
        return ids[order], scores[order]

    def _nearest_codes(self, unit: np.ndarray, count: int) -> np.ndarray:
        """Slots of the ``count`` codes nearest (Hamming) to the query's."""
        code = self._encode(unit.reshape(1, -1))[:, 0]
        size = self._size
        distances = np.zeros(size, dtype=np.uint16)
        xor = np.empty(size, dtype=np.uint64)
        bits = np.empty(size, dtype=np.uint8)
        for word, query_word in zip(self._codes, code, strict=True):
            np.bitwise_xor(word[:size], query_word, out=xor)
            np.bitwise_count(xor, out=bits)
            np.add(distances, bits, out=distances)
        return np.argpartition(distances, count - 1)[:count]
