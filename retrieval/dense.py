"""Dense premise embeddings: float16 unit vectors in one ``.npy`` file, memory-mapped for search."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np

from prover.errors import RetrievalError
from prover.types import Premise
from retrieval.bm25 import top_k
from retrieval.encoder import FloatArray, QueryEncoder

EMBEDDINGS_FILE = "embeddings.f16.npy"
_CHUNK_ROWS = 32_768


def _single_threaded_blas() -> AbstractContextManager[object]:
    """One BLAS thread: a query's matrices are small, and on a shared machine extra threads only spin."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    limiter: AbstractContextManager[object] = threadpool_limits(limits=1, user_api="blas")
    return limiter


def premise_text(premise: Premise) -> str:
    """What a premise's embedding is computed from: name, signature and docstring."""
    text = f"{premise.name} : {premise.signature}"
    return f"{text} -- {premise.doc}" if premise.doc else text


def save_embeddings(vectors: FloatArray, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / EMBEDDINGS_FILE, vectors.astype(np.float16))


class DenseSearcher:
    """Cosine similarity of a query against every premise (embeddings are unit vectors)."""

    def __init__(self, model_dir: Path, encoder: QueryEncoder) -> None:
        try:
            self._vectors = np.load(model_dir / EMBEDDINGS_FILE, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise RetrievalError(f"cannot load dense embeddings: {exc}", where=str(model_dir)) from exc
        self._encoder = encoder

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        if not query.strip() or k <= 0:
            return []
        with _single_threaded_blas():
            return self._search(query, k)

    def _search(self, query: str, k: int) -> list[tuple[int, float]]:
        q = self._encoder.encode([query])[0].astype(np.float32)
        scores = np.empty(len(self), dtype=np.float32)
        # float16 has no BLAS path: convert a bounded chunk at a time to keep memory flat.
        for start in range(0, len(self), _CHUNK_ROWS):
            block = np.asarray(self._vectors[start : start + _CHUNK_ROWS], dtype=np.float32)
            scores[start : start + len(block)] = block @ q
        # Cosine can be negative; shift so every premise stays rankable by top_k's positive-score rule.
        return [(i, s - 1.0) for i, s in top_k(scores + 1.0, k)]
