"""BM25 over Lean-aware tokens (``retrieval.tokenize``): built and saved with bm25s, searched memory-mapped."""

from __future__ import annotations

import json
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
    """Scores every premise for a query from the index bm25s saved, memory-mapped (cheap for a cold start).

    bm25s stores each term's precomputed BM25 contribution per document as a CSC matrix (``data``, ``indices``,
    ``indptr``, a term per column), so a query's scores are the sum of its terms' columns. That sum is done
    here in numpy rather than through ``bm25s.BM25.load``/``get_scores``: importing bm25s pulls in scipy.sparse
    and tqdm, a few hundred milliseconds a cold ``prover search`` cannot pay. Equality with bm25s's scores is
    checked by a test on a real index.
    """

    _METHODS = ("lucene", "robertson", "atire", "bm25l", "bm25+")

    def __init__(self, index_dir: Path) -> None:
        try:
            params = json.loads((index_dir / "params.index.json").read_text(encoding="utf-8"))
            self._vocab: dict[str, int] = json.loads(
                (index_dir / "vocab.index.json").read_text(encoding="utf-8")
            )
            self._data = np.load(index_dir / "data.csc.index.npy", mmap_mode="r")
            self._indices = np.load(index_dir / "indices.csc.index.npy", mmap_mode="r")
            self._indptr = np.load(index_dir / "indptr.csc.index.npy")
            nonoccurrence = index_dir / "nonoccurrence_array.index.npy"
            self._nonoccurrence = np.load(nonoccurrence) if nonoccurrence.is_file() else None
            self._documents = int(params["num_docs"])
            self._dtype = np.dtype(params.get("dtype", "float32"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RetrievalError(f"cannot load BM25 index: {exc}", where=str(index_dir)) from exc
        if params.get("method", "lucene") not in self._METHODS:
            raise RetrievalError(
                f"BM25 method {params.get('method')!r} is not supported", where=str(index_dir)
            )

    def scores(self, tokens: list[str]) -> np.ndarray[Any, Any]:
        """The BM25 score of every premise for the query tokens (unknown tokens are ignored)."""
        scores = np.zeros(self._documents, dtype=self._dtype)
        ids = [self._vocab[token] for token in tokens if token in self._vocab]
        for term in ids:
            start, end = int(self._indptr[term]), int(self._indptr[term + 1])
            # A column lists each document once, so this fancy-indexed add is exact (no np.add.at needed).
            scores[self._indices[start:end]] += self._data[start:end]
        if self._nonoccurrence is not None and ids:
            scores += self._nonoccurrence[ids].sum()
        return scores

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (premise index, score) pairs with a positive score, best first."""
        tokens = [token for token in lean_tokens(query) if token in self._vocab]
        if not tokens or k <= 0:
            return []
        return top_k(np.asarray(self.scores(tokens), dtype=np.float32), k)


def top_k(scores: np.ndarray[Any, Any], k: int) -> list[tuple[int, float]]:
    """Indices of the ``k`` highest positive scores, best first (ties by lower index)."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k]
    ordered = sorted(candidates.tolist(), key=lambda i: (-float(scores[i]), i))
    return [(i, float(scores[i])) for i in ordered if scores[i] > 0]
