"""Nearest real declaration names to a misspelt or renamed one, and the names an error message asks for.

Renames across Mathlib versions usually keep the last component and move the namespace
(``Nat.pos_of_ne_zero`` -> ``Nat.pos_of_ne_zero'``, ``Real.rpow_natCast`` -> ``Real.rpow_ofNat``) or change a
few characters, so candidates come from three places: an edit-distance scan of full names, a scan of the
last components (any namespace), and the same last component under another namespace.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

_UNKNOWN_NAME = re.compile(
    r"unknown (?:identifier|constant|declaration)\s+['‘`«]?(?P<name>[^\s'’`»]+)['’`»]?",
    re.IGNORECASE,  # newer Lean writes "Unknown identifier `x`"
)


def names_in_error(message: str) -> list[str]:
    """Names Lean could not resolve in an error text (``unknown identifier 'X'``, ``unknown constant 'X'``)."""
    found: list[str] = []
    for match in _UNKNOWN_NAME.finditer(message):
        name = match.group("name").strip(".,:;")
        if name and name not in found:
            found.append(name)
    return found


def last_component(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def namespace(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


class NameMatcher:
    """Fuzzy lookup over a fixed list of declaration names (indices into that list are returned)."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._exact = {name: i for i, name in enumerate(self._names)}
        self._by_last: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self._names):
            self._by_last[last_component(name)].append(i)
        self._lasts = list(self._by_last)

    @property
    def names(self) -> list[str]:
        return self._names

    def lookup(self, query: str, k: int = 5) -> list[tuple[int, float]]:
        """Up to ``k`` (index, similarity in [0, 1]) pairs, best first; an exact match scores 1."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        query = query.strip().removeprefix("_root_.").removeprefix("@")
        scores: dict[int, float] = {}

        def offer(index: int, score: float) -> None:
            if score > scores.get(index, -1.0):
                scores[index] = score

        if (exact := self._exact.get(query)) is not None:
            offer(exact, 1.0)
        pool = max(4 * k, 20)
        for _, similarity, index in process.extract(
            query, self._names, scorer=Levenshtein.normalized_similarity, limit=pool
        ):
            offer(index, float(similarity))
        query_last, query_space = last_component(query), namespace(query)
        for last, similarity, _ in process.extract(
            query_last, self._lasts, scorer=Levenshtein.normalized_similarity, limit=pool
        ):
            for index in self._by_last[last]:
                # A matching last component in another namespace is a likely rename; the namespace
                # similarity breaks ties between the many namespaces that share a last component.
                space_similarity = Levenshtein.normalized_similarity(
                    query_space, namespace(self._names[index])
                )
                offer(index, 0.9 * float(similarity) + 0.09 * space_similarity)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], len(self._names[item[0]]), item[0]))
        return ranked[:k]
