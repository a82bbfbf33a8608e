"""Query kinds and the weighted fusion: the default never lets BM25-only noise bury the best dense hit."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prover.settings import Settings
from retrieval.fusion import FUSION_WEIGHTS, reciprocal_rank_fusion, weighted_rank_fusion
from retrieval.query import QueryKind, classify_query
from retrieval.retrievers import Bm25Retriever, HybridRetriever
from retrieval.store import PremiseIndex, build_index

from .conftest import ROWS, write_jsonl


def test_query_kinds() -> None:
    assert classify_query("the square of any number is nonnegative") is QueryKind.informal
    assert classify_query("a prime number is at least two") is QueryKind.informal
    assert classify_query("the integral of x from a to b is (b^2 - a^2) / 2") is QueryKind.informal
    assert (
        classify_query("theorem t (x : ℝ) (h : 0 < x) : Real.log (x ^ 2) = 2 * Real.log x")
        is QueryKind.formal
    )
    assert classify_query("(x : ℝ) (h : 0 < x) : Real.log (x ^ 2) = 2 * Real.log x") is QueryKind.formal
    assert classify_query("x y : ℝ\nh : 0 < x\n⊢ x * y ≤ x ^ 2") is QueryKind.formal
    assert classify_query("0 ≤ x ^ 2") is QueryKind.formal
    assert classify_query("unknown identifier 'Nat.prme_two_le'") is QueryKind.error
    assert classify_query("unknown constant 'Real.sqrt_lt'") is QueryKind.error
    # LaTeX is informal mathematics, however many symbols its formulas have.
    latex = "Show that for positive integer n, $\\sum_{k=0}^{n-1} (2k + 3) = (n + 1)^2 - 1$."
    assert classify_query(latex) is QueryKind.informal


def test_weighted_fusion_sums_weighted_reciprocal_ranks() -> None:
    fused = weighted_rank_fusion([[(1, 9.0), (2, 8.0)], [(2, 0.5), (3, 0.4)]], [1.0, 0.5], 10, rrf_k=0)
    assert fused == [(1, 1.0), (2, 1.0), (3, 0.25)]  # 2: 1/2 + 0.5/1; the tie goes to the lower item
    assert [item for item, _ in weighted_rank_fusion([[(1, 0)], [(2, 0)]], [0.0, 1.0], 10)] == [2]
    assert reciprocal_rank_fusion([[(5, 0)], [(6, 0), (5, 0)]], 1) == [(5, 1 / 61 + 1 / 62)]


def test_informal_weights_favour_dense_and_error_weights_favour_names() -> None:
    _, bm25, dense = FUSION_WEIGHTS[QueryKind.informal]
    assert dense > bm25 >= 0
    names, bm25, dense = FUSION_WEIGHTS[QueryKind.error]
    assert names > max(bm25, dense)


rankings = st.lists(st.integers(0, 40), unique=True, max_size=30)


@given(bm25=rankings, dense=rankings.filter(bool))
def test_fusion_never_buries_the_best_dense_hit_below_a_bm25_only_hit(
    bm25: list[int], dense: list[int]
) -> None:
    fused = [item for item, _ in weighted_rank_fusion(
        [[], [(i, 1.0) for i in bm25], [(i, 1.0) for i in dense]], FUSION_WEIGHTS[QueryKind.informal], 100
    )]  # fmt: skip
    bm25_only = [item for item in bm25 if item not in dense]
    best_dense = fused.index(dense[0])
    for item in bm25_only:  # below the best dense hit, or (weight 0) not fused in at all
        assert item not in fused or best_dense < fused.index(item)


class _ScriptedDense:
    """A dense ranking chosen by the test (the real encoder is too slow for a property test)."""

    def __init__(self, ranking: list[int]) -> None:
        self.ranking = ranking

    def ranked(self, query: str, k: int) -> list[tuple[int, float]]:
        return [(i, 1.0 - 0.01 * r) for r, i in enumerate(self.ranking[:k])]


WORDS = ["square", "root", "prime", "number", "sum", "range", "nonnegative", "the", "of", "is", "less", "than",
         "absolute", "value", "real", "integer", "two", "successor", "monotone", "modulo"]  # fmt: skip


@pytest.fixture(scope="module")
def small_bm25(tmp_path_factory: pytest.TempPathFactory) -> Bm25Retriever:
    """The conftest corpus, indexed once for the module (hypothesis reruns the test body many times)."""
    root = tmp_path_factory.mktemp("fusion")
    report = build_index(write_jsonl(root / "c.jsonl", ROWS), Settings(cache_dir=root / "cache"), dense=False)
    return Bm25Retriever(PremiseIndex(report.index_dir))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=3, max_size=8),
    order=st.permutations(list(range(len(ROWS) - 2))),
    depth=st.integers(1, len(ROWS) - 2),
)
def test_hybrid_keeps_the_best_dense_hit_above_bm25_only_hits_on_a_small_corpus(
    small_bm25: Bm25Retriever, words: list[str], order: list[int], depth: int
) -> None:
    query = " ".join(words)
    assert classify_query(query) is QueryKind.informal
    dense = _ScriptedDense(order[:depth])
    hybrid = HybridRetriever(small_bm25, dense)  # type: ignore[arg-type]
    fused = [i for i, _ in hybrid.ranked(query, 50)]
    assert fused[0] == dense.ranking[0]
    bm25_only = [i for i, _ in small_bm25.ranked(query, 100) if i not in dense.ranking]
    for item in bm25_only:  # below the best dense hit, or (weight 0) not fused in at all
        assert item not in fused or fused.index(dense.ranking[0]) < fused.index(item)
