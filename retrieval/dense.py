"""Dense premise embeddings: float32 unit vectors in one ``.npy`` file, memory-mapped, plus an HNSW graph.

Search is exact (one BLAS matrix-vector product over the memory-mapped float32 rows) for small indexes.
Above ``ANN_MIN_ROWS`` rows, an HNSW graph (usearch, half-precision copy of the vectors, memory-mapped with
``view``) proposes candidates and the float32 rows rescore them exactly: a warm query reads a few thousand
rows instead of all of them, and a cold one maps two files instead of reading ~300 MB. Without usearch the
search stays exact. Why usearch and not faiss or a float16 scan: see ``bench/retrieval.py`` (latency table).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from prover.errors import RetrievalError
from retrieval.bm25 import top_k
from retrieval.encoder import FloatArray, QueryEncoder

log = logging.getLogger(__name__)

EMBEDDINGS_FILE = "embeddings.f32.npy"
ANN_FILE = "hnsw.usearch"
ANN_MIN_ROWS = 20_000  # below this an exact scan costs about as much as a graph walk
ANN_CONNECTIVITY = 32
ANN_EXPANSION_ADD = 128
ANN_EXPANSION_SEARCH = 384  # candidates the graph walk keeps; rescored exactly, cut to k
ANN_CANDIDATES = 256  # at least this many candidates are rescored, whatever k


class _SingleThreadedBlas:
    """One BLAS thread while a query runs: its matrices are small, and on a shared machine extra threads only
    spin. The controller is made once (finding the loaded BLAS libraries costs ~0.3 ms per query)."""

    def __init__(self) -> None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            self._controller: Any = None
        else:
            self._controller = ThreadpoolController()

    def __call__(self) -> AbstractContextManager[object]:
        if self._controller is None:
            return nullcontext()
        limiter: AbstractContextManager[object] = self._controller.limit(limits=1, user_api="blas")
        return limiter


def _usearch_index() -> Any:
    try:
        from usearch.index import Index
    except ImportError:
        return None
    return Index


def save_embeddings(vectors: FloatArray, out_dir: Path, *, threads: int = 0) -> bool:
    """Write the float32 vectors, and the HNSW graph when there are enough rows and usearch is installed.

    Returns whether the graph was built.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    np.save(out_dir / EMBEDDINGS_FILE, matrix)
    index_class = _usearch_index()
    if index_class is None or len(matrix) < ANN_MIN_ROWS:
        return False
    graph = index_class(
        ndim=matrix.shape[1],
        metric="ip",
        dtype="f16",
        connectivity=ANN_CONNECTIVITY,
        expansion_add=ANN_EXPANSION_ADD,
        expansion_search=ANN_EXPANSION_SEARCH,
    )
    graph.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=threads)
    graph.save(str(out_dir / ANN_FILE))
    return True


class DenseSearcher:
    """Cosine similarity of a query against every premise (embeddings are unit vectors)."""

    def __init__(self, model_dir: Path, encoder: QueryEncoder, *, use_graph: bool = True) -> None:
        try:
            self._vectors: np.ndarray[Any, Any] = np.load(model_dir / EMBEDDINGS_FILE, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise RetrievalError(f"cannot load dense embeddings: {exc}", where=str(model_dir)) from exc
        self._encoder = encoder
        self._single_threaded_blas = _SingleThreadedBlas()
        self._graph: Any = None
        index_class = _usearch_index() if use_graph else None
        if index_class is not None and (model_dir / ANN_FILE).is_file():
            try:
                self._graph = index_class.restore(str(model_dir / ANN_FILE), view=True)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("dense graph unreadable (%s); searching exhaustively", exc)
            else:
                self._graph.expansion_search = ANN_EXPANSION_SEARCH

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    @property
    def approximate(self) -> bool:
        return self._graph is not None

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        if not query.strip() or k <= 0:
            return []
        with self._single_threaded_blas():
            q = np.asarray(self._encoder.encode([query])[0], dtype=np.float32)
            return self.search_vector(q, k)

    def search_vector(self, q: FloatArray, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest premises to the unit vector ``q``, best first, with their cosine."""
        if self._graph is not None:
            count = min(len(self), max(k, ANN_CANDIDATES))
            keys = np.sort(np.asarray(self._graph.search(q, count, threads=1).keys, dtype=np.int64))
            scores = np.asarray(self._vectors[keys], dtype=np.float32) @ q
            return [(int(keys[i]), s - 1.0) for i, s in top_k(scores + 1.0, k)]
        scores = np.asarray(self._vectors @ q, dtype=np.float32)
        # Cosine can be negative; shift so every premise stays rankable by top_k's positive-score rule.
        return [(i, s - 1.0) for i, s in top_k(scores + 1.0, k)]
