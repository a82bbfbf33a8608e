"""The fuzzy name lookup as it was before the trigram index (``retrieval.names``): two full rapidfuzz scans.

The reference the tests hold the trigram index to, and the "before" of ``bench/names.py``.
"""

from __future__ import annotations

from collections import defaultdict

from retrieval.names import last_component, namespace


class FullScanMatcher:
    """The lookup before the trigram index: rapidfuzz over every full name and every distinct last component."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.exact = {name: i for i, name in enumerate(names)}
        self.by_last: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(names):
            self.by_last[last_component(name)].append(i)
        self.lasts = list(self.by_last)

    def lookup(self, query: str, k: int = 5) -> list[tuple[int, float]]:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        query = query.strip().removeprefix("_root_.").removeprefix("@")
        scores: dict[int, float] = {}

        def offer(index: int, score: float) -> None:
            if score > scores.get(index, -1.0):
                scores[index] = score

        if (exact := self.exact.get(query)) is not None:
            offer(exact, 1.0)
        pool = max(4 * k, 20)
        for _, similarity, index in process.extract(
            query, self.names, scorer=Levenshtein.normalized_similarity, limit=pool
        ):
            offer(index, float(similarity))
        query_last, query_space = last_component(query), namespace(query)
        for last, similarity, _ in process.extract(
            query_last, self.lasts, scorer=Levenshtein.normalized_similarity, limit=pool
        ):
            for index in self.by_last[last]:
                space_similarity = Levenshtein.normalized_similarity(
                    query_space, namespace(self.names[index])
                )
                offer(index, 0.9 * float(similarity) + 0.09 * space_similarity)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], len(self.names[item[0]]), item[0]))
        return ranked[:k]
