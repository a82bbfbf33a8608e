"""Our memory-mapped BM25 scorer against bm25s's own, on indexes bm25s built."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from prover.errors import RetrievalError
from retrieval.bm25 import Bm25Searcher, build_bm25
from retrieval.corpus import load_corpus
from retrieval.text import indexed_body
from retrieval.tokenize import lean_tokens, premise_document

from .conftest import ROWS, write_jsonl

bm25s = pytest.importorskip("bm25s")


def _reference(index_dir: Path, tokens: list[str]) -> np.ndarray:
    model = bm25s.BM25.load(str(index_dir), mmap=True, show_progress=False)
    known = [t for t in tokens if t in model.vocab_dict]
    return np.asarray(model.get_scores(known), dtype=np.float32)


def test_scores_equal_bm25s_on_a_premise_index(tmp_path: Path) -> None:
    premises = load_corpus(write_jsonl(tmp_path / "corpus.jsonl", ROWS))
    build_bm25([premise_document(p.name, indexed_body(p), p.doc) for p in premises], tmp_path / "bm25")
    searcher = Bm25Searcher(tmp_path / "bm25")
    for query in ("theorem t (hx : 0 ≤ x) (h : x < y) : √x < √y", "square nonnegative square", "prime two"):
        tokens = lean_tokens(query)
        ours = searcher.scores(tokens)
        assert np.array_equal(ours, _reference(tmp_path / "bm25", tokens))
    best = searcher.search("square root less than", 3)
    assert best and premises[best[0][0]].name.startswith("Real.sqrt")


def test_scores_equal_bm25s_on_random_documents(tmp_path: Path) -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(300)]
    documents = [[rng.choice(words) for _ in range(rng.randint(1, 40))] for _ in range(2000)]
    build_bm25(documents, tmp_path / "bm25")
    searcher = Bm25Searcher(tmp_path / "bm25")
    for _ in range(50):
        query = [rng.choice([*words, "unseen"]) for _ in range(rng.randint(1, 8))]  # repeats count twice
        assert np.array_equal(searcher.scores(query), _reference(tmp_path / "bm25", query))


def test_a_missing_index_is_a_retrieval_error(tmp_path: Path) -> None:
    with pytest.raises(RetrievalError, match="cannot load BM25 index"):
        Bm25Searcher(tmp_path / "nowhere")
