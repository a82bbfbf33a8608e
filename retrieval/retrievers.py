"""The ``Retriever`` implementations over a built index: BM25, dense, and their weighted rank fusion.

All three share the index's fuzzy name lookup (``lookup_name``), which error-triggered queries use.
"""

from __future__ import annotations

from functools import cached_property

from prover.errors import ConfigError, DependencyError, RetrievalError
from prover.settings import Settings
from prover.types import Frozen, PremiseHit
from retrieval.base import Retriever
from retrieval.bm25 import Bm25Searcher
from retrieval.dense import DenseSearcher
from retrieval.encoder import load_query_encoder, resolve_model
from retrieval.fusion import FUSION_WEIGHTS, weighted_rank_fusion
from retrieval.names import INDEX_FILE as NAME_INDEX_FILE
from retrieval.names import NameMatcher, names_in_error
from retrieval.query import QueryKind, classify_query
from retrieval.store import PremiseIndex, current_index_dir

FUSION_DEPTH = 100  # how deep each ranking goes into the fusion, at least; deeper than any k shown
NAME_DEPTH = 10  # nearest real names per unknown name of an error


class _IndexRetriever:
    def __init__(self, index: PremiseIndex) -> None:
        self.index = index

    @cached_property
    def _matcher(self) -> NameMatcher:
        return NameMatcher.cached(self.index.names, self.index.directory / NAME_INDEX_FILE)

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
        return DenseSearcher(model_dir, load_query_encoder(model, model_dir))

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
        """BM25 and dense rankings (and, for an error, the nearest real names) fused with the weights of
        the query's kind (``retrieval.fusion.FUSION_WEIGHTS``); a ranking weighted 0 is not computed."""
        depth = max(k, FUSION_DEPTH)
        kind = classify_query(query)
        weights = FUSION_WEIGHTS[kind]
        names: list[tuple[int, float]] = []
        if kind is QueryKind.error:
            wanted = names_in_error(query)
            for name in wanted:
                names += self._matcher.lookup(name, NAME_DEPTH)
            query = " ".join(wanted)  # the error's prose says nothing about the lemma
        bm25 = self.bm25.ranked(query, depth) if weights[1] > 0 else []
        dense = self.dense.ranked(query, depth) if weights[2] > 0 else []
        return weighted_rank_fusion([names, bm25, dense], weights, k)

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


class MissingDense(Frozen):
    """What an index lacks for the asked mode, and the command that builds it."""

    problem: str
    command: str

    def __str__(self) -> str:
        return f"{self.problem}; using BM25 alone (build the dense part with `{self.command}`)"


def open_retriever_or_bm25(
    settings: Settings, mode: str | None = None
) -> tuple[Retriever, MissingDense | None]:
    """``open_retriever``, but BM25 alone when ``mode`` needs dense embeddings this index lacks (a build
    without ``--dense``, interrupted, or still running); then also what is missing. ``RetrievalError``
    when no index was built at all."""
    index = PremiseIndex(current_index_dir(settings))
    wanted = mode or settings.retrieval.mode
    if wanted != "bm25":
        try:
            index.dense_dir(resolve_model(settings.retrieval.dense_model).key)
        except (RetrievalError, DependencyError) as error:
            corpus = index.manifest.get("corpus_path")
            command = "prover index build --dense" + (f" --corpus {corpus}" if corpus else "")
            return Bm25Retriever(index), MissingDense(problem=error.message, command=command)
    return make_retriever(index, wanted, settings.retrieval.dense_model), None
