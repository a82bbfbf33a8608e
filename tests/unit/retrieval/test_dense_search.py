"""Dense search over stored vectors (no model: a fake query encoder): exact scan and HNSW graph + rescoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval import dense


class FixedEncoder:
    """Maps each known query to a given unit vector."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)


def unit_rows(rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, 32)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_exact_search_ranks_by_cosine_and_stores_float32(tmp_path: Path) -> None:
    vectors = unit_rows(50)
    assert dense.save_embeddings(vectors, tmp_path) is False  # too few rows for a graph
    stored = np.load(tmp_path / dense.EMBEDDINGS_FILE, mmap_mode="r")
    assert stored.dtype == np.float32 and stored.shape == (50, 32)
    searcher = dense.DenseSearcher(tmp_path, FixedEncoder({"q": vectors[7]}))
    hits = searcher.search("q", 5)
    assert not searcher.approximate
    assert hits[0][0] == 7 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    expected = np.argsort(-(vectors @ vectors[7]))[:5].tolist()
    assert [i for i, _ in hits] == expected
    assert searcher.search("  ", 5) == [] and searcher.search("q", 0) == []


def test_graph_search_rescores_exactly_and_agrees_with_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("usearch")
    monkeypatch.setattr(dense, "ANN_MIN_ROWS", 100)
    vectors = unit_rows(3000, seed=1)
    assert dense.save_embeddings(vectors, tmp_path) is True
    graph = dense.DenseSearcher(tmp_path, FixedEncoder({}))
    exact = dense.DenseSearcher(tmp_path, FixedEncoder({}), use_graph=False)
    assert graph.approximate and not exact.approximate
    rng = np.random.default_rng(2)
    agree = 0
    for row in rng.integers(0, 3000, 20):
        q = vectors[row] + 0.1 * rng.standard_normal(32).astype(np.float32)
        q /= np.linalg.norm(q)
        found, truth = graph.search_vector(q, 10), exact.search_vector(q, 10)
        assert found[0] == pytest.approx(truth[0])  # the nearest premise, with its exact float32 cosine
        agree += len({i for i, _ in found} & {i for i, _ in truth})
    assert agree >= 0.95 * 20 * 10
