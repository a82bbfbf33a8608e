"""The ``Retriever`` implementations over a built index: BM25, dense, and their reciprocal-rank fusion.

All three share the index's fuzzy name lookup (``lookup_name``), which error-triggered queries use.
"""

from __future__ import annotations

from functools import cached_property

from prover.errors import ConfigError
from prover.settings import Settings
from prover.types import PremiseHit
from retrieval.base import Retriever
from retrieval.bm25 import Bm25Searcher
from retrieval.dense import DenseSearcher
from retrieval.encoder import load_query_encoder, resolve_model
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.names import NameMatcher
from retrieval.store import PremiseIndex, current_index_dir

FUSION_DEPTH = 100  # how deep each ranking goes into the fusion, at least; deeper than any k shown


class _IndexRetriever:
    def __init__(self, index: PremiseIndex) -> None:
        self.index = index

    @cached_property
    def _matcher(self) -> NameMatcher:
        return NameMatcher(self.index.names)

    def _hits(self, ranked: list[tuple[int, float]]) -> list[PremiseHit]:
        premises = self.index.premises([i for i, _ in ranked])
        return [PremiseHit(premise=p, score=round(s, 6)) for p, (_, s) in zip(premises, ranked, strict=True)]

    def lookup_name(self, name: str, k: int = 5) -> list[PremiseHit]:
        return self._hits(self._matcher.lookup(name, k))


class Bm25Retriever(_IndexRetriever):
    @cached_property
    def _searcher(self) -> Bm25Searcher:
        return Bm25Searcher(self.index.directory / "bm25")

    def ranked(self, query: str, k: int) -> list[tuple[int, float]]:
        return self._searcher.search(query, k)

    def search(self, query: str, k: int = 10) -> list[PremiseHit]:
        return self._hits(self.ranked(query, k))


class DenseRetriever(_IndexRetriever):
    def __init__(self, index: PremiseIndex, model_spec: str) -> None:
        super().__init__(index)
        self.model_spec = model_spec

    @cached_property
    def _searcher(self) -> DenseSearcher:
        model = resolve_model(self.model_spec)
        model_dir = self.index.dense_dir(model.key)
        return DenseSearcher(model_dir, load_query_encoder(model))

    def ranked(self, query: str, k: int) -> list[tuple[int, float]]:
        return self._searcher.search(query, k)

    def search(self, query: str, k: int = 10) -> list[PremiseHit]:
        return self._hits(self.ranked(query, k))


class HybridRetriever(_IndexRetriever):
    def __init__(self, bm25: Bm25Retriever, dense: DenseRetriever) -> None:
        super().__init__(bm25.index)
        self.bm25 = bm25
        self.dense = dense

    def ranked(self, query: str, k: int) -> list[tuple[int, float]]:
        depth = max(k, FUSION_DEPTH)
        return reciprocal_rank_fusion([self.bm25.ranked(query, depth), self.dense.ranked(query, depth)], k)

    def search(self, query: str, k: int = 10) -> list[PremiseHit]:
        return self._hits(self.ranked(query, k))


def make_retriever(
    index: PremiseIndex, mode: str, dense_model: str
) -> Bm25Retriever | DenseRetriever | HybridRetriever:
    match mode:
        case "bm25":
            return Bm25Retriever(index)
        case "dense":
            return DenseRetriever(index, dense_model)
        case "hybrid":
            return HybridRetriever(Bm25Retriever(index), DenseRetriever(index, dense_model))
        case _:
            raise ConfigError(f"retrieval mode must be bm25, dense or hybrid, not {mode!r}")


def open_retriever(settings: Settings, mode: str | None = None) -> Retriever:
    """The retriever of the current index, in ``mode`` (default ``settings.retrieval.mode``)."""
    index = PremiseIndex(current_index_dir(settings))
    return make_retriever(index, mode or settings.retrieval.mode, settings.retrieval.dense_model)
