"""Decomposition concurrency: a 3-level decomposition with fixed-latency doubles, wall time vs critical path.

The real ``Scheduler``, ``SymbolicCascade`` and ``Decompose`` run against two in-process doubles with fixed
latencies: a Lean backend (every check takes ``--lean-ms``; sketches report their holes, assemblies and lemma
statements elaborate, only the leaves close by the cascade) and a reasoner (every call takes ``--llm-ms``).
The problem splits into ``--branching`` subgoals per level, three levels deep, so the leaves sit at depth 3.

Printed per branching factor: wall time; the critical path (the same problem with branching 1, a single
chain root → leaf, run alone); the total work (every Lean check and LLM call end to end, serially); and the
ratios. Subgoals run concurrently when wall ≈ critical path ≪ total work.

    python bench/decompose_concurrency.py [--lean-ms 50] [--llm-ms 100] [--branching 2 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from decompose.strategy import Decompose  # noqa: E402
from prover.lean.backend import CAP_COMMAND  # noqa: E402
from prover.lean.text import LineIndex  # noqa: E402
from prover.llm.base import Choice, LLMRequest, LLMResponse, ProofModel, Role, Usage  # noqa: E402
from prover.search.budget import Limits, SearchBudget  # noqa: E402
from prover.search.scheduler import Scheduler, Services  # noqa: E402
from prover.search.strategies.base import LeanPool  # noqa: E402
from prover.search.strategies.symbolic import SymbolicCascade  # noqa: E402
from prover.search.tree import NodeKind, NodeStatus  # noqa: E402
from prover.settings import DecomposeSettings, LeanSettings, SearchSettings, Settings, SmtSettings  # noqa: E402
from prover.types import CheckResult, Goal, Message, Pos, Severity, SorryGoal, StepResult, Verdict  # noqa: E402

DEPTH = 3
HEADER = "import Mathlib"
LABELS = "abcdefgh"


def constant(name: str) -> int:
    """A distinct positive constant per goal name (goals must have distinct keys)."""
    return 1 + sum((i + 1) * ord(c) for i, c in enumerate(name))


def statement(name: str) -> str:
    return f"theorem {name} (x : ℝ) (h : 0 < x) : x + {constant(name)} > 0"


def level_of(name: str) -> int:
    return name.count("_")


@dataclass
class FixedLatencyLean:
    """Every check takes ``latency_s``. Sketch holes get their goals; only depth-3 goals close by a tactic."""

    latency_s: float
    checks: int = 0
    busy_s: float = 0.0

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_COMMAND})

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        del timeout, fresh
        self.checks += 1
        self.busy_s += self.latency_s
        await asyncio.sleep(self.latency_s)
        index = LineIndex(code)
        holes = [m.start() for m in re.finditer(r"\bsorry\b", code)]
        if holes:
            goals = self._hole_goals(code, len(holes))
            sorries = tuple(SorryGoal(goal=g, pos=index.pos(o)) for o, g in zip(holes, goals, strict=True))
            return CheckResult(verdict=Verdict.sorry, sorries=sorries)
        names = re.findall(r"theorem (\S+) \(x", code)
        if names and level_of(names[-1]) >= DEPTH:
            return CheckResult(verdict=Verdict.valid)
        error = Message(severity=Severity.error, pos=Pos(line=1, column=0), text="linarith failed")
        return CheckResult(verdict=Verdict.lean_error, messages=(error,))

    @staticmethod
    def _hole_goals(code: str, count: int) -> list[str]:
        steps = re.findall(r"have (\w+) : (x \+ \d+ > 0) := by sorry", code)
        if len(steps) != count:  # lemma statements and assemblies: no sketch steps
            return ["x : ℝ\nh : 0 < x\n⊢ True"] * count
        goals = []
        earlier: list[str] = []
        for label, fact in steps:
            goals.append("\n".join(["x : ℝ", "h : 0 < x", *earlier, f"⊢ {fact}"]))
            earlier.append(f"{label} : {fact}")
        return goals

    async def check_many(self, codes: list[str], *, timeout: float | None = None) -> list[CheckResult]:
        return list(await asyncio.gather(*(self.check(c, timeout=timeout) for c in codes)))

    async def run_tactic(self, state: object, tactic: str, *, timeout: float | None = None) -> StepResult:
        raise NotImplementedError

    async def close(self) -> None:
        return None


@dataclass
class FixedLatencyReasoner:
    """Every call takes ``latency_s``; a sketch request for goal N answers `have` steps N_a, N_b, …"""

    latency_s: float
    branching: int
    calls: int = 0
    busy_s: float = 0.0
    role: str = "reasoner"
    model_name: str = "fixed-latency"
    prompts: list[str] = field(default_factory=list)

    async def generate(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        self.busy_s += self.latency_s
        await asyncio.sleep(self.latency_s)
        text = "\n".join(m.content for m in request.messages) + (request.prompt or "")
        if "Turn the informal proof" in text:
            stated = re.findall(r"(theorem (\S+) \(x[^\n]*?) := by", text)[-1]  # echo the goal's statement
            name = stated[1]
            steps = "\n".join(
                f"  have {label} : x + {constant(f'{name}_{label}')} > 0 := by sorry"
                for label in LABELS[: self.branching]
            )
            answer = f"```lean4\n{stated[0]} := by\n{steps}\n  linarith\n```"
        elif "YES" in text and "NO" in text:
            answer = "YES\nIt follows from h."
        else:
            answer = "1. x is positive.\n2. Adding a positive constant keeps it positive.\nConclusion: done."
        n = request.n or 1
        return LLMResponse(
            role=self.role,
            model=self.model_name,
            choices=tuple(Choice(text=answer, index=i) for i in range(n)),
            usage=Usage(prompt_tokens=10, completion_tokens=10),
        )

    async def close(self) -> None:
        return None


async def run_once(
    branching: int, lean_ms: float, llm_ms: float
) -> tuple[float, int, int, float, float, int]:
    settings = Settings(
        lean=LeanSettings(workers=16),
        search=SearchSettings(cascade_tactics=["linarith"], lemma_cache=False),
        smt=SmtSettings(enabled=False),
        decompose=DecomposeSettings(sketches=1, max_depth=DEPTH, refinements=0),
    )
    lean = FixedLatencyLean(latency_s=lean_ms / 1000)
    reasoner = FixedLatencyReasoner(latency_s=llm_ms / 1000, branching=branching)
    models: dict[Role, ProofModel | None] = {Role.reasoner: reasoner, Role.prover: None, Role.step: None}
    pool = LeanPool(backend=lean, workers=settings.lean.workers, timeout_s=30.0)  # type: ignore[arg-type]
    services = Services(settings=settings, lean=pool, models=models)
    limits = Limits(llm_calls=10_000, tokens=10**9, cost_usd=1e9, lean_checks=100_000, wall_s=600.0)
    scheduler = Scheduler([SymbolicCascade(), Decompose()], services, SearchBudget(limits), max_parallel=64)
    root = Goal(name="t", statement=statement("t"), header=HEADER)
    started = time.perf_counter()
    report = await scheduler.run(root)
    wall = time.perf_counter() - started
    if report.status is not NodeStatus.proved:
        raise SystemExit(f"branching {branching}: the search ended {report.status} ({report.stopped})")
    decompositions = sum(1 for _ in report.tree.nodes_of(NodeKind.decomposition))
    return wall, lean.checks, reasoner.calls, lean.busy_s, reasoner.busy_s, decompositions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lean-ms", type=float, default=50.0)
    parser.add_argument("--llm-ms", type=float, default=100.0)
    parser.add_argument("--branching", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    critical = statistics.median(
        asyncio.run(run_once(1, args.lean_ms, args.llm_ms))[0] for _ in range(args.repeat)
    )
    print(
        f"fixed latencies: Lean check {args.lean_ms:.0f} ms, LLM call {args.llm_ms:.0f} ms; depth {DEPTH}; "
        f"median of {args.repeat} runs\n"
    )
    print(
        "| branching | goals | decompositions | Lean checks | LLM calls | total work (s) | wall (s) "
        "| critical path (s) | wall / critical | work / wall |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for branching in args.branching:
        runs = [asyncio.run(run_once(branching, args.lean_ms, args.llm_ms)) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        _, checks, calls, lean_s, llm_s, decompositions = runs[0]
        goals = sum(branching**level for level in range(DEPTH + 1))
        work = lean_s + llm_s
        print(
            f"| {branching} | {goals} | {decompositions} | {checks} | {calls} | {work:.2f} | {wall:.2f} "
            f"| {critical:.2f} | {wall / critical:.2f} | {work / wall:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
