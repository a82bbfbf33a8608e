"""How repair enters the search: the scheduler hands a stage-2 strategy the attempts Lean rejected earlier."""

from __future__ import annotations

from dataclasses import dataclass, field

from prover.llm.base import Role
from prover.search.budget import Limits, SearchBudget
from prover.search.scheduler import Scheduler, Services
from prover.search.strategies.base import Failed, LeanPool, Outcome, StrategyContext
from prover.search.tree import AttemptRecord
from prover.settings import Settings
from prover.types import Goal, Message, Pos, Severity, Verdict
from repair.strategy import Repair
from tests.unit.search.conftest import FakeLean

GOAL = Goal(name="t", statement="theorem t (a : ℕ) : a + 0 = a", header="import Mathlib")
ERROR = Message(severity=Severity.error, pos=Pos(line=3, column=2), text="linarith failed")


@dataclass
class Writer:
    """Stage 1: records one rejected proof, one unchecked answer and one accepted-by-nobody crash."""

    name: str = "direct"
    stage: int = 1
    cost: float = 1.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return True

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        attempts = (
            ctx.record(goal, self.name, "by\n  linarith", Verdict.lean_error, messages=(ERROR,)),
            ctx.record(goal, self.name, "", None, note="rejected: forbidden"),
            ctx.record(goal, self.name, "by\n  simp", Verdict.crash),
        )
        return Failed(reason="no luck", attempts=attempts)


@dataclass
class Probe:
    """Stage 2: what it was handed."""

    seen: list[tuple[AttemptRecord, ...]] = field(default_factory=list)
    name: str = "probe"
    stage: int = 2
    cost: float = 1.5

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return True

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        self.seen.append(ctx.rejected)
        return Failed(reason="probe")


async def test_stage_two_sees_the_attempts_lean_rejected_on_its_goal() -> None:
    settings = Settings(lean={"workers": 1})
    lean = FakeLean()
    services = Services(
        settings=settings, lean=LeanPool(backend=lean, workers=1, timeout_s=5.0), models={Role.prover: None}
    )
    probe = Probe()
    limits = Limits(llm_calls=1, tokens=10, cost_usd=1.0, lean_checks=10, wall_s=30.0)
    await Scheduler([Writer(), probe], services, SearchBudget(limits)).run(GOAL)
    (seen,) = probe.seen
    assert [r.attempt.proof for r in seen] == ["by\n  linarith"]  # not the scan rejection, not the crash
    assert seen[0].attempt.messages == (ERROR,)


def test_repair_is_stage_two_and_needs_a_rejected_attempt() -> None:
    repair = Repair()
    assert (repair.stage, repair.cost) == (2, 1.5)
    settings = Settings()
    pool = LeanPool(backend=FakeLean(), workers=1, timeout_s=5.0)
    limits = Limits(llm_calls=1, tokens=10, cost_usd=1.0, lean_checks=10, wall_s=30.0)
    ctx = StrategyContext(settings=settings, lean=pool, budget=SearchBudget(limits), models={})
    assert not repair.applicable(GOAL, ctx)
    record = ctx.record(GOAL, "direct", "by\n  linarith", Verdict.lean_error, messages=(ERROR,))
    cascade = ctx.record(GOAL, "symbolic", "by\n  linarith", Verdict.lean_error, messages=(ERROR,))
    assert not repair.applicable(
        GOAL, StrategyContext(settings=settings, lean=pool, budget=ctx.budget, models={}, rejected=(cascade,))
    )
    with_attempt = StrategyContext(
        settings=settings, lean=pool, budget=ctx.budget, models={}, rejected=(record,)
    )
    assert repair.applicable(GOAL, with_attempt)
    off = Settings(repair={"enabled": False})
    assert not repair.applicable(
        GOAL, StrategyContext(settings=off, lean=pool, budget=ctx.budget, models={}, rejected=(record,))
    )
