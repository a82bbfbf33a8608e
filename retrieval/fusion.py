"""Reciprocal-rank fusion: combine ranked lists without comparing their incomparable scores."""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very first ranks


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], k: int, rrf_k: int = RRF_K
) -> list[tuple[int, float]]:
    """Fuse ranked (item, score) lists; each item scores the sum of ``1 / (rrf_k + rank)`` (rank from 1)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
