"""An AND node's subgoals run concurrently, and a refuted or finally failed subgoal cancels its siblings' runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from prover.llm.base import Role
from prover.search.budget import Limits, SearchBudget
from prover.search.scheduler import Scheduler, Services
from prover.search.strategies.base import Decomposed, Failed, LeanPool, Outcome, Refuted, StrategyContext
from prover.search.tree import Decomposition, NodeKind, NodeStatus
from prover.settings import Settings
from prover.types import Goal
from tests.unit.search.conftest import FakeLean

ROOT = Goal(name="root", statement="theorem root (x : ℝ) (h : 0 < x) : 0 < x ^ 2", header="import Mathlib")


@dataclass
class SplitRoot:
    """Stands in for ``Decompose``'s outcome: the root splits into a bad step and a slow one."""

    name: str = "decompose"
    stage: int = 2
    cost: float = 4.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return goal.depth == 0

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        subgoals = tuple(
            Goal(
                name=f"root_{label}",
                statement=f"theorem root_{label} (x : ℝ) : {body}",
                header=goal.header,
                depth=1,
            )
            for label, body in (("bad", "x < x"), ("slow", "0 ≤ x ^ 2"))
        )
        return Decomposed(
            decomposition=Decomposition(strategy=self.name, subgoals=subgoals, main_proof="by positivity")
        )


@dataclass
class PerGoal:
    """Settles ``root_bad`` as told once ``root_slow`` is running; keeps ``root_slow`` busy until cancelled."""

    settle_bad: str  # "refuted" or "failed"
    slow_started: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: list[str] = field(default_factory=list)
    name: str = "per_goal"
    stage: int = 1
    cost: float = 1.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return goal.depth == 1

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        if goal.name == "root_slow":
            self.slow_started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                self.cancelled.append(goal.name)
                raise
            return Failed(reason="never")
        await self.slow_started.wait()  # both subgoals are in flight together
        if self.settle_bad == "refuted":
            return Refuted(reason="Z3 counterexample: x = 0")
        return Failed(reason="no strategy closes it")


@pytest.mark.parametrize("settle_bad", ["refuted", "failed"])
async def test_a_refuted_or_failed_subgoal_cancels_its_running_sibling(settle_bad: str) -> None:
    settings = Settings(lean={"workers": 2}, smt={"enabled": False})
    pool = LeanPool(backend=FakeLean(), workers=2, timeout_s=5.0)
    services = Services(settings=settings, lean=pool, models={Role.prover: None, Role.step: None})
    limits = Limits(llm_calls=10, tokens=1000, cost_usd=1.0, lean_checks=100, wall_s=60.0)
    per_goal = PerGoal(settle_bad=settle_bad)
    report = await Scheduler([SplitRoot(), per_goal], services, SearchBudget(limits)).run(ROOT)

    assert report.status is NodeStatus.failed
    assert per_goal.cancelled == ["root_slow"]
    assert report.elapsed_s < 30
    tree = report.tree
    (decomposition,) = tree.nodes_of(NodeKind.decomposition)
    assert tree.status(decomposition) is NodeStatus.failed
    statuses = {tree.goal(g).name: tree.status(g) for g in tree.children(decomposition)}
    assert statuses == {"root_bad": NodeStatus(settle_bad), "root_slow": NodeStatus.pruned}
