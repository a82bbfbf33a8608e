"""Rank fusion: combine ranked lists without comparing their incomparable scores.

Plain reciprocal-rank fusion (Cormack et al., 2009) gives every list the same say, so on an informal query
BM25's noise (stop words, a stray ``of``) pushes good dense hits down. ``weighted_rank_fusion`` gives each
list a weight by query kind (``retrieval.query.classify_query``).

The weights are what the full-corpus benchmark (``bench/retrieval.py --subset 0``, 181,801 premises) showed:
for English and for Lean statements, every positive BM25 weight (0.1 to 1) left the fused R@10 or R@50 below
dense alone on at least one query set (published-proof lemmas from formal statements or from informal
statements), so those kinds rank by the dense encoder alone. For an ``unknown identifier`` error the nearest
real names lead and BM25 adds what the names miss (R@10 0.99 against 0.59 for BM25 alone). Dense added
nothing there (R@10 and R@50 equal with weights 0 to 0.5) and cost half of such a query's time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from retrieval.query import QueryKind

RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very first ranks

# (name lookup, bm25, dense) weight of each ranking, by query kind. Invariant (tested): for informal text
# the dense weight exceeds the BM25 weight, so the best dense hit always outranks every hit BM25 alone found.
# A zero weight means that ranking is not computed at all.
FUSION_WEIGHTS: Mapping[QueryKind, tuple[float, float, float]] = {
    QueryKind.informal: (0.0, 0.0, 1.0),
    QueryKind.formal: (0.0, 0.0, 1.0),
    QueryKind.error: (2.0, 0.5, 0.0),
}


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], k: int, rrf_k: int = RRF_K
) -> list[tuple[int, float]]:
    """Fuse ranked (item, score) lists; each item scores the sum of ``1 / (rrf_k + rank)`` (rank from 1)."""
    return weighted_rank_fusion(rankings, [1.0] * len(rankings), k, rrf_k)


def weighted_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]],
    weights: Sequence[float],
    k: int,
    rrf_k: int = RRF_K,
) -> list[tuple[int, float]]:
    """Each item scores the sum over lists of ``weight / (rrf_k + rank)``; best first, ties by lower item."""
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight <= 0:
            continue
        for rank, (item, _) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))[: max(k, 0)]
