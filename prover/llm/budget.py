"""Caps on LLM use (``Budget``) and the running totals of every call (``Accounting``).

Both are created at the entry point of a run and passed down; both are safe to share between threads and
asyncio tasks (one ``threading.Lock`` each, never held across an ``await``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from prover.errors import BudgetExhausted
from prover.types import Frozen


class Spent(Frozen):
    """What has been used so far under one budget."""

    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0


class Budget:
    """Caps on calls, tokens and cost. ``None`` means no cap on that resource.

    ``before_call`` refuses a call when a capped resource is already used up; ``charge`` records a finished
    call and raises ``BudgetExhausted`` once a cap has been passed (the call's answer was already paid for:
    callers that cache store it before charging).
    """

    def __init__(
        self,
        *,
        max_calls: int | None = None,
        max_tokens: int | None = None,
        max_cost_usd: float | None = None,
    ) -> None:
        self.max_calls = max_calls
        self.max_tokens = max_tokens
        self.max_cost_usd = max_cost_usd
        self._lock = threading.Lock()
        self._calls = 0
        self._tokens = 0
        self._cost_usd = 0.0

    @property
    def spent(self) -> Spent:
        with self._lock:
            return Spent(calls=self._calls, tokens=self._tokens, cost_usd=self._cost_usd)

    def before_call(self) -> None:
        """Raise ``BudgetExhausted`` when no further call may start."""
        with self._lock:
            self._raise_if(at_cap=True)

    def charge(self, *, calls: int = 1, tokens: int = 0, cost_usd: float = 0.0) -> None:
        """Record one finished call; raise ``BudgetExhausted`` when this pushed a capped resource past its cap."""
        if calls < 0 or tokens < 0 or cost_usd < 0:
            raise ValueError("budget charges are never negative")
        with self._lock:
            self._calls += calls
            self._tokens += tokens
            self._cost_usd += cost_usd
            self._raise_if(at_cap=False)

    def _raise_if(self, *, at_cap: bool) -> None:
        # at_cap: reaching the cap already forbids the next call; otherwise only going beyond it raises.
        def over(used: float, cap: float | None) -> bool:
            return cap is not None and (used >= cap if at_cap else used > cap)

        if over(self._calls, self.max_calls):
            raise BudgetExhausted(
                f"LLM call budget used up ({self._calls}/{self.max_calls} calls)", resource="calls"
            )
        if over(self._tokens, self.max_tokens):
            raise BudgetExhausted(
                f"LLM token budget used up ({self._tokens}/{self.max_tokens} tokens)", resource="tokens"
            )
        if over(self._cost_usd, self.max_cost_usd):
            raise BudgetExhausted(
                f"LLM cost budget used up (${self._cost_usd:.4f}/${self.max_cost_usd:.4f})", resource="cost"
            )


class UsageTotals(Frozen):
    """Totals for one (role, model) pair. ``cached_calls`` are answered from the cache and cost nothing."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def plus(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            latency_s=self.latency_s + other.latency_s,
            cost_usd=self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class RoleModel:
    role: str
    model: str


class Accounting:
    """Running totals of every LLM call, per role and model."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[RoleModel, UsageTotals] = {}

    def record(
        self,
        *,
        role: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        latency_s: float,
        cost_usd: float,
        cached: bool,
    ) -> None:
        row = UsageTotals(
            calls=0 if cached else 1,
            cached_calls=1 if cached else 0,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_s=latency_s,
            cost_usd=cost_usd,
        )
        key = RoleModel(role, model)
        with self._lock:
            self._rows[key] = self._rows.get(key, UsageTotals()).plus(row)

    def by_role_model(self) -> Mapping[RoleModel, UsageTotals]:
        with self._lock:
            return dict(self._rows)

    def total(self) -> UsageTotals:
        result = UsageTotals()
        for row in self.by_role_model().values():
            result = result.plus(row)
        return result


def cost_usd(
    prompt_tokens: int, completion_tokens: int, *, prompt_per_mtok: float, completion_per_mtok: float
) -> float:
    """Price of one call from its token counts and per-million-token prices."""
    return (prompt_tokens * prompt_per_mtok + completion_tokens * completion_per_mtok) / 1_000_000
