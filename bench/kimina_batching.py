"""Throughput of KiminaBackend.check_many against the local fake Kimina server, by batch size.

Run: python bench/kimina_batching.py [--snippets 400] [--latency 0.05] [--workers 4] [--repeats 3]
The fake answers every HTTP request after ``--latency`` seconds (a stand-in for network plus server time per
request; Lean time is not simulated). Prints, per batch size: HTTP requests sent, median wall time, snippets
per second, and the ratio to the ideal ``workers * batch / latency`` snippets per second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prover.lean.kimina import KiminaBackend
from prover.settings import LeanSettings
from tests.fakes.kimina_server import KiminaFakeServer


async def one_run(url: str, codes: list[str], batch: int, workers: int) -> float:
    lean = LeanSettings(
        backend="kimina",
        kimina_url=url,
        kimina_batch_size=batch,
        kimina_server_repls=workers * batch,  # `workers` requests of `batch` snippets in flight
        kimina_lines="file",
    )
    backend = KiminaBackend(lean)
    started = time.perf_counter()
    results = await backend.check_many(codes, timeout=30)
    elapsed = time.perf_counter() - started
    await backend.close()
    assert all(r.verdict.value == "valid" for r in results)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--snippets", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8, 16])
    args = parser.parse_args()
    codes = [f"theorem t{i} : {i} + 0 = {i} := rfl" for i in range(args.snippets)]
    print(
        f"{args.snippets} snippets, {args.workers} concurrent requests, {args.latency * 1000:.0f} ms per request"
    )
    print(f"{'batch':>6} {'requests':>9} {'median s':>9} {'snippets/s':>11} {'of ideal':>9}")
    for batch in args.batches:
        with KiminaFakeServer(latency_s=args.latency) as fake:
            for code in codes:
                fake.add(code, {"error": None, "response": {"env": 0, "time": 0.0}})
            times = [asyncio.run(one_run(fake.url, codes, batch, args.workers)) for _ in range(args.repeats)]
            requests = len(fake.requests) // args.repeats
        median = statistics.median(times)
        rate = args.snippets / median
        ideal = args.workers * batch / args.latency
        print(f"{batch:>6} {requests:>9} {median:>9.3f} {rate:>11.1f} {rate / ideal:>9.2f}")


if __name__ == "__main__":
    main()
