"""The scheduler: runs strategies on the goals of one tree, best-first, concurrently, under budgets.

Work items are (goal, strategy) pairs ordered by a score (depth, prior failures on the goal, strategy cost).
At most ``max_parallel`` strategy runs are in flight; Lean work is further bounded by the ``LeanPool`` (never
more in-flight checks than workers). The scheduler is the only writer of the tree: it records every outcome,
propagates statuses, cancels runs on goals that got settled or pruned, and stops when the root is settled,
nothing is left to run, or the global budget is spent (recorded as ``stopped``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from prover.errors import BudgetExhausted, DependencyError, ProverError
from prover.llm.base import ProofModel, Role
from prover.search.budget import SearchBudget
from prover.search.events import EventKind, ProgressCallback, SearchEvent, ignore_progress
from prover.search.lemma_cache import LemmaCache
from prover.search.strategies.base import (
    Decomposed,
    Failed,
    FailedSplit,
    LeanPool,
    Outcome,
    Proved,
    Refuted,
    SmtDecider,
    SmtGate,
    Strategy,
    StrategyContext,
)
from prover.search.tree import AttemptRecord, NodeKind, NodeStatus, SearchTree
from prover.settings import Settings
from prover.types import Attempt, Goal, Verdict
from retrieval.base import Retriever

log = logging.getLogger(__name__)

DEPTH_WEIGHT = 1.0
FAILURE_WEIGHT = 0.5
CACHE_STRATEGY = "lemma_cache"
# Verdicts of attempts a later strategy (repair) may work from: Lean read the proof and said why it failed.
REPAIRABLE = frozenset({Verdict.lean_error, Verdict.sorry, Verdict.timeout})


@dataclass
class Services:
    """What strategies share across goals: the Lean pool, the models, Z3, the retriever."""

    settings: Settings
    lean: LeanPool
    models: Mapping[Role, ProofModel | None]
    smt: SmtDecider | None = None
    retriever: Retriever | None = None
    lemma_cache: LemmaCache | None = None


@dataclass
class SearchReport:
    """The end of one search: the tree, and why it stopped when the root is not settled."""

    tree: SearchTree
    root: str
    stopped: str = ""  # "budget exhausted: <resource>" / "nothing left to try" / ""
    elapsed_s: float = 0.0
    cancelled_runs: int = 0

    @property
    def status(self) -> NodeStatus:
        return self.tree.status(self.root)


@dataclass
class _GoalWork:
    stages: list[int]  # stages still to start, ascending
    pending: int = 0  # queued + running items of the current stage
    tasks: set[asyncio.Task[Outcome]] = field(default_factory=set)
    generation: int = 0  # bumped when a pruned goal reopens; older queue items and runs are stale


class Scheduler:
    def __init__(
        self,
        strategies: Sequence[Strategy],
        services: Services,
        budget: SearchBudget,
        *,
        max_parallel: int | None = None,
        node_fraction: float = 0.5,
        on_event: ProgressCallback = ignore_progress,
        theorem: str = "",
    ) -> None:
        self.strategies = sorted(strategies, key=lambda s: (s.stage, s.cost, s.name))
        self.services = services
        self.budget = budget
        self.max_parallel = max_parallel or 2 * services.lean.workers
        self.node_fraction = node_fraction
        self.on_event = on_event
        self.theorem = theorem
        self.tree = SearchTree()
        self._queue: list[tuple[float, int, str, int, int]] = []  # (score, seq, goal, strategy, generation)
        self._seq = itertools.count()
        self._work: dict[str, _GoalWork] = {}
        self._node_budgets: dict[str, SearchBudget] = {}
        self._running: dict[asyncio.Task[Outcome], tuple[str, int]] = {}
        self._started = time.perf_counter()
        self._cancelled = 0
        # Z3 runs on its own thread, bounded by its timeout plus a grace for start-up and translation.
        smt_timeout = services.settings.smt.timeout_s * 4 + 5
        self._smt = SmtGate(services.smt, timeout_s=smt_timeout) if services.smt is not None else None

    # ------------------------------------------------------------------------------------- driver
    async def run(self, root: Goal) -> SearchReport:
        self._started = time.perf_counter()
        root_node, _ = self.tree.add_goal(root)
        self._admit(root_node)
        stopped = ""
        try:
            while not self.tree.status(root_node).terminal:
                exhausted = self.budget.first_exhausted()
                if exhausted is not None:
                    stopped = self._stop_for_budget(exhausted[1].value)
                    break
                self._launch()
                if not self._running:
                    stopped = "nothing left to try"
                    break
                done, _ = await asyncio.wait(
                    self._running,
                    timeout=max(0.0, self.budget.remaining_wall_s()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for task in done:
                    stopped = self._finish(task) or stopped
                if stopped:
                    break
        finally:
            await self._cancel_all()
            if self._smt is not None:
                self._smt.close()
        if not self.tree.status(root_node).terminal and not stopped:
            stopped = "nothing left to try"
        return SearchReport(
            tree=self.tree,
            root=root_node,
            stopped=stopped,
            elapsed_s=time.perf_counter() - self._started,
            cancelled_runs=self._cancelled,
        )

    def _stop_for_budget(self, resource: str) -> str:
        reason = f"budget exhausted: {resource}"
        log.info("%s: stopping the search (%s)", self.theorem or "search", reason)
        self._emit(EventKind.budget_exhausted, detail=reason)
        return reason

    def _launch(self) -> None:
        while self._queue and len(self._running) < self.max_parallel:
            _, _, node, index, generation = heapq.heappop(self._queue)
            work = self._work[node]
            if work.generation != generation:
                continue  # queued before the goal was pruned and reopened
            if self.tree.status(node).terminal:
                work.pending -= 1
                continue
            strategy = self.strategies[index]
            ctx = self._context(node)
            task = asyncio.create_task(
                strategy.run(self.tree.goal(node), ctx), name=f"{strategy.name}@{node}"
            )
            work.tasks.add(task)
            self._running[task] = (node, index)

    def _node_budget(self, node: str) -> SearchBudget:
        if node == self.tree.root:
            return self.budget  # the root's share is the whole problem's budget
        budget = self._node_budgets.get(node)
        if budget is None:
            budget = self.budget.child(self.node_fraction, name=f"goal {self.tree.goal(node).name}")
            self._node_budgets[node] = budget
        return budget

    # ------------------------------------------------------------------------------------- admitting
    def _admit(self, node: str) -> None:
        """A new (or reopened) goal: settle it from the lemma cache, or queue its first stage."""
        goal = self.tree.goal(node)
        self._emit(EventKind.goal_added, node=node, detail=goal.name)
        cache = self.services.lemma_cache
        cached = cache.get(goal.key) if cache is not None else None
        if cached is not None:
            record = AttemptRecord(
                attempt=Attempt(
                    goal_key=goal.key, strategy=CACHE_STRATEGY, proof=cached, verdict=Verdict.valid
                ),
                started_s=time.perf_counter() - self._started,
            )
            self.tree.add_attempt(node, record)
            self._apply(self.tree.settle_goal(node, NodeStatus.proved, proof=cached, reason=CACHE_STRATEGY))
            return
        stages = sorted({s.stage for s in self.strategies})
        previous = self._work.get(node)
        self._work[node] = _GoalWork(stages=stages, generation=previous.generation + 1 if previous else 0)
        self._next_stage(node)

    def _context(self, node: str) -> StrategyContext:
        """What a strategy may use on ``node``: the shared services and the node's own budget."""
        return StrategyContext(
            settings=self.services.settings,
            lean=self.services.lean,
            budget=self._node_budget(node),
            models=self.services.models,
            smt=self._smt,
            retriever=self.services.retriever,
            search_started=self._started,
            rejected=self._rejected(node),
            failed_splits=self._failed_splits(node),
        )

    def _failed_splits(self, node: str) -> tuple[FailedSplit, ...]:
        """The decompositions of ``node`` that failed, each with its failed or refuted subgoals' reasons."""
        splits: list[FailedSplit] = []
        for child in self.tree.children(node):
            if (
                self.tree.kind(child) is not NodeKind.decomposition
                or self.tree.status(child) is not NodeStatus.failed
            ):
                continue
            reasons = tuple(
                f"{self.tree.goal(sub).name} ({self.tree.status(sub).value}): {self.tree.reason(sub)}"
                for sub in self.tree.children(child)
                if self.tree.status(sub) in (NodeStatus.failed, NodeStatus.refuted)
            )
            splits.append(FailedSplit(decomposition=self.tree.decomposition(child), reasons=reasons))
        return tuple(splits)

    def _refine_split(self, goal_node: str, decomposition_node: str) -> None:
        """A decomposition of an open goal failed: its strategy runs again when it refines its own splits
        (``refines_failed_splits``) and is still applicable (it bounds its own rounds)."""
        work = self._work.get(goal_node)
        if work is None or self.tree.status(goal_node).terminal:
            return
        name = self.tree.decomposition(decomposition_node).strategy
        probe = self._context(goal_node)
        goal = self.tree.goal(goal_node)
        for index, strategy in enumerate(self.strategies):
            refines = getattr(strategy, "refines_failed_splits", False)
            if strategy.name == name and refines and strategy.applicable(goal, probe):
                score = self._score(goal_node, strategy)
                heapq.heappush(self._queue, (score, next(self._seq), goal_node, index, work.generation))
                work.pending += 1

    def _rejected(self, node: str) -> tuple[AttemptRecord, ...]:
        """The attempts on ``node`` that Lean checked and rejected (not scan rejections, not crashes)."""
        records: list[AttemptRecord] = []
        for child in self.tree.children(node):
            if self.tree.kind(child) is not NodeKind.attempt:
                continue
            record = self.tree.record(child)
            if record.attempt.verdict in REPAIRABLE and record.attempt.proof.strip():
                records.append(record)
        return tuple(records)

    def _next_stage(self, node: str) -> None:
        """Queue the next stage with an applicable strategy; fail the goal when none is left."""
        work = self._work[node]
        goal = self.tree.goal(node)
        while work.stages and work.pending == 0:
            stage = work.stages.pop(0)
            probe = self._context(node)
            for index, strategy in enumerate(self.strategies):
                if strategy.stage == stage and strategy.applicable(goal, probe):
                    score = self._score(node, strategy)
                    heapq.heappush(self._queue, (score, next(self._seq), node, index, work.generation))
                    work.pending += 1
        self._fail_if_exhausted(node)

    def _score(self, node: str, strategy: Strategy) -> float:
        goal = self.tree.goal(node)
        return DEPTH_WEIGHT * goal.depth + FAILURE_WEIGHT * self.tree.failures(node) + strategy.cost

    def _fail_if_exhausted(self, node: str) -> None:
        work = self._work.get(node)
        if work is None or self.tree.status(node).terminal:
            return
        if work.pending == 0 and not work.stages and not self.tree.has_open_decomposition(node):
            reason = self.tree.reason(node) or "no applicable strategy"
            self._apply(self.tree.settle_goal(node, NodeStatus.failed, reason=reason))

    # ------------------------------------------------------------------------------------- outcomes
    def _finish(self, task: asyncio.Task[Outcome]) -> str:
        """Record one finished run. Returns a stop reason when the whole search must stop."""
        node, index = self._running.pop(task)
        work = self._work[node]
        if task.cancelled():
            self._cancelled += 1
        if task not in work.tasks or task.cancelled():
            work.tasks.discard(task)
            return ""  # cancelled because its goal got settled, or stale after a reopen
        work.tasks.discard(task)
        work.pending -= 1
        strategy = self.strategies[index]
        error = task.exception()
        outcome: Outcome
        if isinstance(error, BudgetExhausted):
            if self.budget.first_exhausted() is not None or self.budget.exhausted_by is not None:
                return self._stop_for_budget(error.resource or "unknown")
            outcome = Failed(reason=f"{error}")
        elif isinstance(error, DependencyError):
            raise error
        elif isinstance(error, ProverError):
            log.warning("%s on %s failed: %s", strategy.name, self.tree.goal(node).name, error)
            outcome = Failed(reason=f"{type(error).__name__}: {error}")
        elif error is not None:
            raise error
        else:
            outcome = task.result()
        self._record(node, strategy, outcome)
        if not self.tree.status(node).terminal and work.pending == 0:
            self._next_stage(node)
        return ""

    def _record(self, node: str, strategy: Strategy, outcome: Outcome) -> None:
        for record in outcome.attempts:
            self.tree.add_attempt(node, record)
            self._emit(EventKind.attempt, node=node, detail=f"{strategy.name}: {record.attempt.verdict}")
        if self.tree.status(node).terminal:
            return
        match outcome:
            case Proved(proof=proof):
                self._apply(self.tree.settle_goal(node, NodeStatus.proved, proof=proof, reason=strategy.name))
                cache = self.services.lemma_cache
                if cache is not None:
                    goal = self.tree.goal(node)
                    cache.put(goal.key, goal.statement, proof, strategy.name)
            case Refuted(reason=reason):
                self._apply(
                    self.tree.settle_goal(node, NodeStatus.refuted, reason=f"{strategy.name}: {reason}")
                )
            case Failed(reason=reason):
                self.tree.note_failure(node, f"{strategy.name}: {reason}")
            case Decomposed(decomposition=decomposition):
                decomposition_node, created = self.tree.add_decomposition(node, decomposition)
                for child in created:
                    self._admit(child)
                self._apply(self.tree.reconcile(decomposition_node))

    def _apply(self, changed: list[str]) -> None:
        """Follow up status changes: cancel work on settled goals, re-check goals that lost a decomposition."""
        for node in changed:
            kind = self.tree.kind(node)
            status = self.tree.status(node)
            if kind is NodeKind.goal:
                self._emit(EventKind.goal_settled, node=node, detail=f"{self.tree.goal(node).name}: {status}")
                work = self._work.get(node)
                if work is not None:
                    for task in list(work.tasks):
                        task.cancel()
            elif kind is NodeKind.decomposition and status is NodeStatus.failed:
                for parent in list(self.tree.parents(node)):
                    self._refine_split(parent, node)
                    self._fail_if_exhausted(parent)

    async def _cancel_all(self) -> None:
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._cancelled += sum(1 for t in tasks if t.cancelled())
        self._running.clear()

    def _emit(self, kind: EventKind, *, node: str = "", detail: str = "") -> None:
        counts = self.tree.counts() if kind is not EventKind.attempt else {}
        self.on_event(
            SearchEvent(
                kind=kind,
                theorem=self.theorem,
                node=node,
                detail=detail,
                goals_open=counts.get(NodeStatus.open, 0),
                goals_proved=counts.get(NodeStatus.proved, 0),
                spent=self.budget.spent(),
            )
        )
