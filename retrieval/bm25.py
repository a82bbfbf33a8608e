"""BM25 over Lean-aware tokens (``retrieval.tokenize``), stored with bm25s and memory-mapped on load."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from prover.errors import RetrievalError
from retrieval.tokenize import lean_tokens

log = logging.getLogger(__name__)


def build_bm25(documents: list[list[str]], out_dir: Path) -> None:
    """Index token lists (one per premise, in premise order) into ``out_dir``."""
    import bm25s

    model = bm25s.BM25()
    # An empty token list would shift no ids but bm25s needs at least one token per document.
    model.index([doc or ["∅"] for doc in documents], show_progress=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir), show_progress=False)


class Bm25Searcher:
    """Scores every premise for a query; loading memory-maps the index (cheap for a cold start)."""

    def __init__(self, index_dir: Path) -> None:
        import bm25s

        try:
            self._model: Any = bm25s.BM25.load(str(index_dir), mmap=True, show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            raise RetrievalError(f"cannot load BM25 index: {exc}", where=str(index_dir)) from exc
        self._vocab: dict[str, int] = self._model.vocab_dict

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (premise index, score) pairs with a positive score, best first."""
        tokens = [token for token in lean_tokens(query) if token in self._vocab]
        if not tokens or k <= 0:
            return []
        scores = np.asarray(self._model.get_scores(tokens), dtype=np.float32)
        return top_k(scores, k)


def top_k(scores: np.ndarray[Any, Any], k: int) -> list[tuple[int, float]]:
    """Indices of the ``k`` highest positive scores, best first (ties by lower index)."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k]
    ordered = sorted(candidates.tolist(), key=lambda i: (-float(scores[i]), i))
    return [(i, float(scores[i])) for i in ordered if scores[i] > 0]
