"""The ``Retriever`` protocol: premises for a query (a goal, an informal statement, an error)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from prover.types import PremiseHit


@runtime_checkable
class Retriever(Protocol):
    def search(self, query: str, k: int = 10) -> list[PremiseHit]: ...

    def lookup_name(self, name: str, k: int = 5) -> list[PremiseHit]:
        """Nearest real declaration names to a (possibly misspelt or renamed) name."""
        ...
