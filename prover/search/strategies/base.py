"""The one protocol every search strategy implements, what a strategy returns, and what it may use.

A strategy works on one goal and returns an ``Outcome``; it never touches the tree (the scheduler is its only
writer) and never calls another strategy. Everything external goes through the ``StrategyContext``, which
charges the goal's budget and bounds Lean concurrency, so a strategy cannot overspend or flood the pool.

Stages order a goal's strategies: every strategy of stage ``k`` finishes (without settling the goal) before
stage ``k + 1`` starts on it. The symbolic cascade is stage 0, so a goal Z3 refutes never costs an LLM call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from prover.lean.backend import LeanBackend
from prover.llm.base import LLMRequest, LLMResponse, ProofModel, Role
from prover.search.budget import SearchBudget
from prover.search.tree import AttemptRecord, Decomposition
from prover.settings import Settings
from prover.types import Attempt, CheckResult, Frozen, Goal, Message, SmtResult, StateRef, StepResult, Verdict
from retrieval.base import Retriever


# ------------------------------------------------------------------------------------------- outcomes
class Proved(Frozen):
    """The goal is closed by ``proof`` (the text after ``:=``), which Lean accepted in command mode."""

    proof: str
    attempts: tuple[AttemptRecord, ...] = ()


class Refuted(Frozen):
    """The goal is false (a confirmed counterexample): no strategy should try it again."""

    reason: str
    attempts: tuple[AttemptRecord, ...] = ()


class Failed(Frozen):
    """This strategy could not close the goal; others may."""

    reason: str
    attempts: tuple[AttemptRecord, ...] = ()


class Decomposed(Frozen):
    """The goal splits into subgoals (an AND node)."""

    decomposition: Decomposition
    attempts: tuple[AttemptRecord, ...] = ()


Outcome = Proved | Refuted | Failed | Decomposed


def goal_source(goal: Goal, proof: str) -> str:
    """The standalone Lean text that proves ``goal`` by ``proof`` (the text after ``:=``)."""
    header = goal.header.rstrip()
    declaration = f"{goal.statement.rstrip()} := {proof.strip()}\n"
    return f"{header}\n\n{declaration}" if header else declaration


# ------------------------------------------------------------------------------------------- services
class SmtDecider(Protocol):
    """What the search needs of ``prover.smt.SmtEngine``."""

    def decide_statement(self, statement: str) -> SmtResult: ...


@dataclass
class SmtGate:
    """Runs the (synchronous, CPU-bound) Z3 engine off the event loop, on one dedicated thread.

    The engine owns a worker process and must be used from one thread only; one thread also serialises the
    calls of concurrent strategies.
    """

    engine: SmtDecider
    timeout_s: float
    _thread: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smt")

    async def decide_statement(self, statement: str) -> SmtResult:
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._thread, self.engine.decide_statement, statement)
        return await asyncio.wait_for(work, timeout=self.timeout_s)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


@dataclass
class LeanPool:
    """The shared gate to the Lean backend: never more checks in flight than ``workers``.

    Records busy time and the peak of concurrent work, for progress displays and the overhead benchmark.
    """

    backend: LeanBackend
    workers: int
    timeout_s: float
    _slots: asyncio.Semaphore = field(init=False)
    in_flight: int = 0
    peak_in_flight: int = 0
    busy_s: float = 0.0
    calls: int = 0

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.workers)

    async def check(self, code: str) -> CheckResult:
        async with self._slots:
            started = self._enter()
            try:
                return await self.backend.check(code, timeout=self.timeout_s)
            finally:
                self._leave(started)

    async def run_tactic(self, state: StateRef, tactic: str) -> StepResult:
        async with self._slots:
            started = self._enter()
            try:
                return await self.backend.run_tactic(state, tactic, timeout=self.timeout_s)
            finally:
                self._leave(started)

    def _enter(self) -> float:
        self.in_flight += 1
        self.calls += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return time.perf_counter()

    def _leave(self, started: float) -> None:
        self.in_flight -= 1
        self.busy_s += time.perf_counter() - started


@dataclass
class Meter:
    """What one strategy run spent; copied into its attempt records."""

    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    lean_checks: int = 0
    cache_keys: list[str] = field(default_factory=list)


class FailedSplit(Frozen):
    """A decomposition of the goal whose AND node failed, and the subgoals that made it fail."""

    decomposition: Decomposition
    reasons: tuple[str, ...] = ()  # "NAME (refuted): reason" per failed or refuted subgoal


@dataclass
class StrategyContext:
    """Everything one strategy run on one goal may use. Built by the scheduler for each run."""

    settings: Settings
    lean: LeanPool
    budget: SearchBudget
    models: Mapping[Role, ProofModel | None]
    smt: SmtGate | None = None
    retriever: Retriever | None = None
    search_started: float = 0.0  # perf_counter() at the start of the search (attempt timestamps)
    # The attempts already recorded on this goal that Lean rejected (proof text and messages), oldest first:
    # what the repair strategy works from. A snapshot taken when the run starts.
    rejected: tuple[AttemptRecord, ...] = ()
    # This goal's decompositions that failed, oldest first, each with why (its failed or refuted subgoals and
    # their reasons): what a strategy that refines its own splits works from. A snapshot like ``rejected``.
    failed_splits: tuple[FailedSplit, ...] = ()
    meter: Meter = field(default_factory=Meter)

    def model(self, role: Role) -> ProofModel | None:
        return self.models.get(role)

    async def check(self, code: str) -> CheckResult:
        """One command-mode check, charged to the goal's budget (raises ``BudgetExhausted`` when spent)."""
        self.budget.reserve_lean_checks(1)
        self.meter.lean_checks += 1
        return await self.lean.check(code)

    async def check_many(self, codes: Sequence[str]) -> list[CheckResult]:
        """A batch of checks, all charged up front; the pool runs at most ``workers`` at once."""
        self.budget.reserve_lean_checks(len(codes))
        self.meter.lean_checks += len(codes)
        return list(await asyncio.gather(*(self.lean.check(code) for code in codes)))

    async def run_tactic(self, state: StateRef, tactic: str) -> StepResult:
        self.budget.reserve_lean_checks(1)
        self.meter.lean_checks += 1
        return await self.lean.run_tactic(state, tactic)

    async def generate(self, model: ProofModel, request: LLMRequest) -> LLMResponse:
        """One LLM call, charged to the goal's budget before it starts and booked after it returns."""
        self.budget.reserve_llm_call()
        self.meter.llm_calls += 1
        response = await model.generate(request)
        tokens = response.usage.total_tokens
        self.budget.record_llm_usage(tokens, response.cost_usd)
        self.meter.tokens += tokens
        self.meter.cost_usd += response.cost_usd
        self.meter.cache_keys.extend(response.cache_keys)
        return response

    def record(
        self,
        goal: Goal,
        strategy: str,
        proof: str,
        verdict: Verdict | None,
        *,
        messages: tuple[Message, ...] = (),
        elapsed_s: float = 0.0,
        note: str = "",
    ) -> AttemptRecord:
        """An attempt record carrying what this run has spent so far (then the meter restarts)."""
        meter, self.meter = self.meter, Meter()
        return AttemptRecord(
            attempt=Attempt(
                goal_key=goal.key,
                strategy=strategy,
                proof=proof,
                verdict=verdict,
                messages=messages,
                elapsed_s=elapsed_s,
                cost_usd=meter.cost_usd,
                note=note,
            ),
            llm_calls=meter.llm_calls,
            tokens=meter.tokens,
            lean_checks=meter.lean_checks,
            cache_keys=tuple(meter.cache_keys),
            started_s=max(0.0, time.perf_counter() - self.search_started - elapsed_s),
        )


@runtime_checkable
class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def stage(self) -> int:
        """Strategies of a lower stage finish on a goal before higher ones start on it."""
        ...

    @property
    def cost(self) -> float:
        """Relative cost; lower runs earlier in the best-first order."""
        ...

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool: ...

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome: ...
