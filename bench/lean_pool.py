"""Throughput of the REPL pool against the REPL double: ``python bench/lean_pool.py [--checks 400]``.

The double sleeps ``--import-delay`` on its first import and ``--delay`` before every answer, so a pool of K
workers can at best answer K / delay checks per second. For each K the script first warms the pool (K checks
with the same header: one import per process), then times ``--checks`` checks (steady state) and reports
throughput as a fraction of that ideal. A cold run (imports included) is reported beside it, against the
cold ideal ``import_delay + checks * delay / K``. ``imports`` counts the import requests that reached the
double and must equal ``started``, the processes the pool started.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prover.lean.repl import ReplBackend
from prover.settings import LeanSettings
from prover.types import Verdict
from tests.fakes.repl_script import Script, requests

HEADER = "import Mathlib\nopen Real\n\n"


async def _run(
    workers: int, checks: int, import_delay: float, delay: float, warm: bool
) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        script = Script(import_delay=import_delay, delay=delay)
        lean = LeanSettings(
            workers=workers, timeout_s=60, import_timeout_s=60, max_requests_per_process=100_000
        )
        backend = ReplBackend(lean, command=script.command(workdir))
        try:
            if warm:
                await backend.check_many([HEADER + f"theorem w{i} : True := trivial" for i in range(workers)])
            codes = [HEADER + f"theorem t{i} (x : ℕ) : x + 0 = x := by\n  simp" for i in range(checks)]
            started = time.perf_counter()
            results = await backend.check_many(codes)
            elapsed = time.perf_counter() - started
        finally:
            await backend.close()
        if any(r.verdict is not Verdict.valid for r in results):
            raise SystemExit(f"K={workers}: some checks were not valid")
        imports = sum(1 for r in requests(workdir) if str(r.get("cmd", "")).startswith("import"))
        return elapsed, imports, backend.stats.processes_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=400)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--import-delay", type=float, default=2.0)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    print(f"{args.checks} checks, import {args.import_delay:.2f} s, {args.delay * 1000:.0f} ms per command")
    header = f"{'K':>3} {'ideal/s':>8} {'warm/s':>8} {'warm %':>7} {'cold s':>7} {'cold %':>7} {'imports':>8} {'started':>8}"
    print(header)
    for workers in (int(k) for k in args.workers.split(",")):
        warm_times, cold_times, counts = [], [], []
        for _ in range(args.repeats):
            elapsed, imports, started = asyncio.run(
                _run(workers, args.checks, args.import_delay, args.delay, True)
            )
            warm_times.append(elapsed)
            counts.append((imports, started))
            elapsed, imports, started = asyncio.run(
                _run(workers, args.checks, args.import_delay, args.delay, False)
            )
            cold_times.append(elapsed)
            counts.append((imports, started))
        ideal = workers / args.delay
        warm = args.checks / statistics.median(warm_times)
        cold = statistics.median(cold_times)
        cold_ideal = args.import_delay + args.checks * args.delay / workers
        imports_ok = all(i == s for i, s in counts)
        imports, started = counts[0]
        print(
            f"{workers:>3} {ideal:>8.1f} {warm:>8.1f} {100 * warm / ideal:>6.1f}% {cold:>7.2f} "
            f"{100 * cold_ideal / cold:>6.1f}% {imports:>8} {started:>8}"
            + ("" if imports_ok else "  MISMATCH")
        )


if __name__ == "__main__":
    main()
