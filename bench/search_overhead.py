"""Scheduler overhead on synthetic search trees: nodes/s, overhead per node, Lean-worker utilisation, memory.

A synthetic tree of N goal nodes (goal i splits into goals b*i+1 .. b*i+b that are < N) is searched with one
strategy that spends exactly one Lean check per goal (a fake backend sleeping ``latency`` ms) and then either
decomposes the goal or proves it. Ideal wall time is checks * latency / workers; what is above it is overhead.

    python bench/search_overhead.py [--nodes 10000] [--workers 8] [--latencies 0 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prover.lean.backend import CAP_COMMAND
from prover.llm.base import Role
from prover.search.budget import Limits, SearchBudget
from prover.search.scheduler import Scheduler, Services
from prover.search.strategies.base import Decomposed, LeanPool, Outcome, Proved, StrategyContext
from prover.search.tree import Decomposition, NodeStatus
from prover.settings import Settings
from prover.types import CheckResult, Goal, StateRef, StepResult, Verdict


@dataclass
class SleepingLean:
    latency_s: float

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_COMMAND})

    async def check(self, code: str, *, timeout: float | None = None) -> CheckResult:
        await asyncio.sleep(self.latency_s)
        return CheckResult(verdict=Verdict.valid)

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return [await self.check(c) for c in codes]

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        raise NotImplementedError

    async def close(self) -> None:
        return None


def synthetic_goal(index: int, depth: int) -> Goal:
    return Goal(name=f"g{index}", statement=f"theorem g{index} : {index} = {index}", depth=depth)


@dataclass
class SyntheticStrategy:
    nodes: int
    branching: int
    name: str = "synthetic"
    stage: int = 0
    cost: float = 0.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return True

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        index = int(goal.name[1:])
        await ctx.check(goal.statement)
        children = [
            j
            for j in range(self.branching * index + 1, self.branching * index + self.branching + 1)
            if j < self.nodes
        ]
        if not children:
            return Proved(proof="by rfl")
        subgoals = tuple(synthetic_goal(j, goal.depth + 1) for j in children)
        return Decomposed(
            decomposition=Decomposition(strategy=self.name, subgoals=subgoals, main_proof="by simp_all")
        )


@dataclass
class Measurement:
    wall_s: float
    busy_s: float
    checks: int
    peak_in_flight: int
    peak_bytes: int


async def search_once(nodes: int, branching: int, workers: int, latency_s: float) -> Measurement:
    settings = Settings(lean={"workers": workers})
    lean = LeanPool(backend=SleepingLean(latency_s), workers=workers, timeout_s=60.0)
    services = Services(settings=settings, lean=lean, models=dict.fromkeys((Role.prover, Role.step)))
    limits = Limits(llm_calls=0, tokens=0, cost_usd=0.0, lean_checks=nodes * 4, wall_s=3600.0)
    scheduler = Scheduler(
        [SyntheticStrategy(nodes, branching)], services, SearchBudget(limits), node_fraction=1.0
    )
    started = time.perf_counter()
    report = await scheduler.run(synthetic_goal(0, 0))
    wall = time.perf_counter() - started
    if report.status is not NodeStatus.proved:
        raise SystemExit(f"synthetic search did not finish: {report.status} {report.stopped}")
    return Measurement(
        wall_s=wall, busy_s=lean.busy_s, checks=lean.calls, peak_in_flight=lean.peak_in_flight, peak_bytes=0
    )


def peak_memory_mib(nodes: int, branching: int, workers: int) -> float:
    """Peak traced Python memory of one search at 0 ms latency (the tree and scheduler state)."""
    tracemalloc.start()
    asyncio.run(search_once(nodes, branching, workers, 0.0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def measure(nodes: int, branching: int, workers: int, latency_ms: float, repeats: int) -> dict[str, float]:
    runs = [asyncio.run(search_once(nodes, branching, workers, latency_ms / 1000)) for _ in range(repeats)]
    wall = statistics.median(r.wall_s for r in runs)
    checks = runs[0].checks
    ideal = checks * latency_ms / 1000 / workers
    busy = statistics.median(r.busy_s for r in runs)
    return {
        "latency_ms": latency_ms,
        "wall_s": wall,
        "nodes_per_s": nodes / wall,
        "overhead_us_per_node": max(0.0, wall - ideal) / nodes * 1e6,
        "utilisation": busy / (workers * wall),
        "ideal_ratio": wall / ideal if ideal else float("nan"),
        "peak_in_flight": max(r.peak_in_flight for r in runs),
        "repeats": repeats,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--branching", type=int, default=4)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.0, 50.0], help="backend latency, ms")
    parser.add_argument("--repeats", type=int, default=3, help="runs at 0 ms latency (median)")
    parser.add_argument(
        "--slow-repeats", type=int, default=1, help="runs at latency > 0 (10k nodes at 50 ms: ~65 s)"
    )
    args = parser.parse_args(argv)
    header = (
        f"{'latency ms':>10} {'wall s':>8} {'nodes/s':>9} {'overhead µs/node':>17} {'Lean util':>9} "
        f"{'wall/ideal':>10} {'peak in-flight':>14} {'runs':>5}"
    )
    print(f"search_overhead: {args.nodes} goal nodes, branching {args.branching}, {args.workers} Lean workers "
          "(medians over runs)")  # fmt: skip
    print(header)
    for latency in args.latencies:
        repeats = args.repeats if latency == 0 else args.slow_repeats
        row = measure(args.nodes, args.branching, args.workers, latency, repeats)
        util = f"{row['utilisation'] * 100:.1f}%" if latency > 0 else "n/a"
        ratio = f"{row['ideal_ratio']:.3f}" if latency > 0 else "n/a"
        print(
            f"{latency:>10.0f} {row['wall_s']:>8.2f} {row['nodes_per_s']:>9.0f} {row['overhead_us_per_node']:>17.1f} "
            f"{util:>9} {ratio:>10} {row['peak_in_flight']:>14.0f} {row['repeats']:>5.0f}"
        )
    peak = peak_memory_mib(args.nodes, args.branching, args.workers)
    print(f"peak traced memory of one {args.nodes}-node search (tracemalloc, 0 ms): {peak:.1f} MiB")


if __name__ == "__main__":
    main()
