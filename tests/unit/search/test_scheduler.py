from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from prover.llm.base import Role
from prover.search.budget import Limits, SearchBudget
from prover.search.lemma_cache import LemmaCache
from prover.search.scheduler import Scheduler, Services
from prover.search.strategies.base import Decomposed, Failed, LeanPool, Outcome, Proved, StrategyContext
from prover.search.strategies.symbolic import SymbolicCascade
from prover.search.tree import Decomposition, NodeKind, NodeStatus
from prover.settings import Settings
from prover.types import Goal, Verdict
from tests.unit.search.conftest import FakeLean, FakeSmt

ROOT = Goal(
    name="mathd_algebra_10",
    statement="theorem mathd_algebra_10 : abs ((120 : ℝ) / 100 * 30 - 130) = 94",
    header="import Mathlib",
)


def services(settings: Settings, lean: FakeLean, **extra: object) -> Services:
    pool = LeanPool(backend=lean, workers=settings.lean.workers, timeout_s=5.0)
    return Services(settings=settings, lean=pool, models={Role.prover: None, Role.step: None}, **extra)  # type: ignore[arg-type]


def budget(**limits: float) -> SearchBudget:
    base = {"llm_calls": 10, "tokens": 1000, "cost_usd": 1.0, "lean_checks": 100, "wall_s": 60.0}
    base.update(limits)
    return SearchBudget(Limits(**base))  # type: ignore[arg-type]


@dataclass
class Splitter:
    """Test decomposition strategy: splits goals whose name has no dot into two subgoals."""

    bodies: tuple[str, ...] = ("(2 : ℝ) = 2", "(3 : ℝ) = 3")
    name: str = "split"
    stage: int = 1
    cost: float = 1.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return "." not in goal.name

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        subgoals = tuple(
            Goal(
                name=f"{goal.name}.h{i}",
                statement=f"theorem {goal.name}.h{i} : {body}",
                header=goal.header,
                depth=goal.depth + 1,
            )
            for i, body in enumerate(self.bodies)
        )
        return Decomposed(
            decomposition=Decomposition(strategy=self.name, subgoals=subgoals, main_proof="by exact h0")
        )


@dataclass
class Recorder:
    """A stage-1 strategy that records that it ran and then waits (to be cancelled) or fails."""

    wait: bool = False
    ran: list[str] = field(default_factory=list)
    name: str = "recorder"
    stage: int = 1
    cost: float = 2.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return True

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        self.ran.append(goal.name)
        if self.wait:
            await asyncio.sleep(30)
        return Failed(reason="recorded")


async def test_cascade_closes_goal_with_first_valid_tactic(settings: Settings) -> None:
    lean = FakeLean(rules=[(r"by\n  linarith", Verdict.valid)])
    report = await Scheduler([SymbolicCascade()], services(settings, lean), budget()).run(ROOT)
    assert report.status is NodeStatus.proved
    assert report.tree.proof(report.root) == "by\n  linarith"
    # batches of `workers` (2): norm_num + linarith, so omega never reached Lean
    assert not any("omega" in code for code in lean.log)


async def test_smt_hints_go_first_and_refutation_stops_before_later_stages(settings: Settings) -> None:
    lean = FakeLean(rules=[(r"nlinarith \[sq_nonneg x\]", Verdict.valid)])
    smt = FakeSmt(hints=("nlinarith [sq_nonneg x]",))
    report = await Scheduler([SymbolicCascade()], services(settings, lean, smt=smt), budget()).run(ROOT)
    assert report.status is NodeStatus.proved
    assert "nlinarith [sq_nonneg x]" in lean.log[0]

    recorder = Recorder()
    lean2 = FakeLean()
    report = await Scheduler(
        [SymbolicCascade(), recorder], services(settings, lean2, smt=FakeSmt(refute="94")), budget()
    ).run(ROOT)
    assert report.status is NodeStatus.refuted
    assert recorder.ran == [] and lean2.log == []


async def test_refuted_subgoal_fails_decomposition_and_prunes_sibling(settings: Settings) -> None:
    lean = FakeLean()  # nothing closes
    recorder = Recorder()
    smt = FakeSmt(refute=r"\(3 : ℝ\)")
    scheduler = Scheduler(
        [SymbolicCascade(), Splitter(), recorder], services(settings, lean, smt=smt), budget()
    )
    report = await scheduler.run(ROOT)
    tree = report.tree
    decomposition = next(tree.nodes_of(NodeKind.decomposition))
    assert tree.status(decomposition) is NodeStatus.failed
    statuses = {tree.goal(n).name: tree.status(n) for n in tree.nodes_of(NodeKind.goal)}
    assert statuses["mathd_algebra_10.h1"] is NodeStatus.refuted
    assert statuses["mathd_algebra_10.h0"] in (NodeStatus.pruned, NodeStatus.failed)
    assert report.status is NodeStatus.failed
    assert "mathd_algebra_10.h1" not in recorder.ran


async def test_decomposition_proves_root_when_subgoals_close(settings: Settings) -> None:
    lean = FakeLean(rules=[(r"(?s)theorem mathd_algebra_10\.h\d.*norm_num", Verdict.valid)])
    report = await Scheduler([SymbolicCascade(), Splitter()], services(settings, lean), budget()).run(ROOT)
    assert report.status is NodeStatus.proved
    assert report.tree.proof(report.root) == "by exact h0"


async def test_proved_goal_cancels_its_running_attempts(settings: Settings) -> None:
    @dataclass
    class SlowProver:
        name: str = "slow_prover"
        stage: int = 1
        cost: float = 1.0

        def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
            return True

        async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
            await asyncio.sleep(0)
            return Proved(proof="by\n  simp")

    waiting = Recorder(wait=True)
    lean = FakeLean()
    report = await Scheduler([SlowProver(), waiting], services(settings, lean), budget(wall_s=20)).run(ROOT)
    assert report.status is NodeStatus.proved
    assert report.cancelled_runs == 1
    assert report.elapsed_s < 20


async def test_global_budget_exhaustion_stops_and_is_recorded(settings: Settings) -> None:
    lean = FakeLean()
    report = await Scheduler([SymbolicCascade()], services(settings, lean), budget(lean_checks=1)).run(ROOT)
    assert report.status is NodeStatus.open
    assert report.stopped == "budget exhausted: lean_checks"
    assert lean.log == []  # a batch of 2 does not fit into 1 check: refused before reaching Lean


async def test_lean_work_never_exceeds_workers(settings: Settings) -> None:
    lean = FakeLean(latency_s=0.001)
    many = SymbolicCascade(tactics=[f"tac{i}" for i in range(12)], batch_size=12)
    report = await Scheduler(
        [many, Splitter(bodies=tuple(f"{i} = {i}" for i in range(6)))], services(settings, lean), budget()
    ).run(ROOT)
    assert report.status is NodeStatus.failed
    assert lean.peak <= settings.lean.workers
    assert lean.peak == settings.lean.workers  # and the pool was used fully


async def test_lemma_cache_settles_known_goals_and_stores_new_ones(
    settings: Settings, tmp_path: Path
) -> None:
    cache = LemmaCache(tmp_path / "lemmas.sqlite", profile="v4.15.0")
    lean = FakeLean(rules=[(r"norm_num", Verdict.valid)])
    report = await Scheduler([SymbolicCascade()], services(settings, lean, lemma_cache=cache), budget()).run(
        ROOT
    )
    assert report.status is NodeStatus.proved and len(cache) == 1
    other_version = LemmaCache(tmp_path / "lemmas.sqlite", profile="v4.24.0")
    assert other_version.get(ROOT.key) is None
    lean2 = FakeLean()
    renamed = ROOT.model_copy(
        update={"name": "again", "statement": ROOT.statement.replace("mathd_algebra_10", "again")}
    )
    report = await Scheduler([SymbolicCascade()], services(settings, lean2, lemma_cache=cache), budget()).run(
        renamed
    )
    assert report.status is NodeStatus.proved and lean2.log == []


async def test_node_budget_exhaustion_fails_only_that_goal(settings: Settings) -> None:
    lean = FakeLean()
    scheduler = Scheduler(
        [SymbolicCascade(), Splitter()], services(settings, lean), budget(lean_checks=40), node_fraction=0.025
    )
    report = await scheduler.run(ROOT)
    tree = report.tree
    subgoals = [n for n in tree.nodes_of(NodeKind.goal) if n != report.root]
    exhausted = [n for n in subgoals if "budget exhausted: lean_checks" in tree.reason(n)]
    assert exhausted and all(tree.status(n) is NodeStatus.failed for n in exhausted)
    # the failed subgoal failed its decomposition, which pruned the sibling
    assert all(tree.status(n) is NodeStatus.pruned for n in subgoals if n not in exhausted)
    assert report.stopped == ""  # the search as a whole still had checks left
    assert all("theorem mathd_algebra_10.h" not in code for code in lean.log)  # refused before Lean
