"""Budgets of one search: LLM calls, tokens, cost, Lean checks and wall time, global and per goal node.

A ``SearchBudget`` is a set of limits plus what was spent; a child budget (one goal node's share) charges its
spending to every ancestor too, so a charge is refused when any level would go over. Charging never lets a
counter pass its limit silently: ``reserve_*`` raises ``BudgetExhausted`` (naming the resource) before the
work starts, ``record_*`` books what the work actually used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from prover.errors import BudgetExhausted
from prover.settings import SearchSettings
from prover.types import Frozen


class Resource(StrEnum):
    llm_calls = "llm_calls"
    tokens = "tokens"
    cost_usd = "cost_usd"
    lean_checks = "lean_checks"
    wall_s = "wall_s"


class Limits(Frozen):
    llm_calls: int
    tokens: int
    cost_usd: float
    lean_checks: int
    wall_s: float

    @classmethod
    def from_settings(cls, search: SearchSettings) -> Limits:
        return cls(
            llm_calls=search.max_llm_calls,
            tokens=search.max_tokens,
            cost_usd=search.max_cost_usd,
            lean_checks=search.max_lean_checks,
            wall_s=search.wall_minutes * 60.0,
        )

    def share(self, fraction: float) -> Limits:
        """A per-node share of these limits (at least one call and one check, so a node can do something)."""
        return Limits(
            llm_calls=max(1, int(self.llm_calls * fraction)) if self.llm_calls else 0,
            tokens=int(self.tokens * fraction),
            cost_usd=self.cost_usd * fraction,
            lean_checks=max(1, int(self.lean_checks * fraction)) if self.lean_checks else 0,
            wall_s=self.wall_s * fraction,
        )


class Spent(Frozen):
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    lean_checks: int = 0
    wall_s: float = 0.0


class SearchBudget:
    """Limits and spending at one level (the whole search, or one goal node)."""

    def __init__(
        self,
        limits: Limits,
        *,
        parent: SearchBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "search",
    ) -> None:
        self.limits = limits
        self.parent = parent
        self.name = name
        self._clock = clock
        self._started = clock()
        self._llm_calls = 0
        self._tokens = 0
        self._cost = 0.0
        self._lean_checks = 0
        self.exhausted_by: Resource | None = None

    def child(self, fraction: float, name: str) -> SearchBudget:
        return SearchBudget(self.limits.share(fraction), parent=self, clock=self._clock, name=name)

    def _chain(self) -> list[SearchBudget]:
        """The levels from the whole search down to this one (the widest level is blamed first)."""
        chain: list[SearchBudget] = []
        level: SearchBudget | None = self
        while level is not None:
            chain.append(level)
            level = level.parent
        return chain[::-1]

    # -------------------------------------------------------------------------------- reading
    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def remaining_wall_s(self) -> float:
        return min(level.limits.wall_s - level.elapsed_s() for level in self._chain())

    def spent(self) -> Spent:
        return Spent(
            llm_calls=self._llm_calls,
            tokens=self._tokens,
            cost_usd=round(self._cost, 6),
            lean_checks=self._lean_checks,
            wall_s=round(self.elapsed_s(), 3),
        )

    def first_exhausted(self, *, for_llm: bool = False) -> tuple[SearchBudget, Resource] | None:
        """The first level and resource used up, from the whole search down to this level.

        Wall time stops everything; tokens and cost only stop LLM calls (``for_llm``).
        """
        for level in self._chain():
            if level.elapsed_s() >= level.limits.wall_s:
                return level, Resource.wall_s
            if for_llm and level._tokens >= level.limits.tokens:
                return level, Resource.tokens
            if for_llm and level._cost > 0 and level._cost >= level.limits.cost_usd:
                return level, Resource.cost_usd
        return None

    # -------------------------------------------------------------------------------- charging
    def _refuse(self, level: SearchBudget, resource: Resource) -> BudgetExhausted:
        level.exhausted_by = level.exhausted_by or resource
        self.exhausted_by = self.exhausted_by or resource
        return BudgetExhausted(f"{level.name} budget exhausted: {resource.value}", resource=resource.value)

    def _check_open(self, *, for_llm: bool) -> None:
        found = self.first_exhausted(for_llm=for_llm)
        if found is not None:
            raise self._refuse(*found)

    def reserve_llm_call(self) -> None:
        """Take one LLM call from every level, or raise ``BudgetExhausted`` taking nothing."""
        self._check_open(for_llm=True)
        for level in self._chain():
            if level._llm_calls >= level.limits.llm_calls:
                raise self._refuse(level, Resource.llm_calls)
        for level in self._chain():
            level._llm_calls += 1

    def record_llm_usage(self, tokens: int, cost_usd: float) -> None:
        for level in self._chain():
            level._tokens += tokens
            level._cost += cost_usd

    def reserve_lean_checks(self, count: int = 1) -> None:
        """Take ``count`` Lean checks from every level, or raise ``BudgetExhausted`` taking nothing."""
        self._check_open(for_llm=False)
        for level in self._chain():
            if level._lean_checks + count > level.limits.lean_checks:
                raise self._refuse(level, Resource.lean_checks)
        for level in self._chain():
            level._lean_checks += count
