"""Fuzzy name lookup on the full corpus's names: ``retrieval.names.NameMatcher`` (trigram index) against the
two full rapidfuzz scans it replaced (kept as ``tests.fakes.full_scan_names.FullScanMatcher``).

Run: python bench/names.py [--names PATH] [--random 1000] [--seed 1] [--runs 5] [--candidates N ...] [--hybrid]

Queries, looked up with k = 10 (``NAME_DEPTH`` of the hybrid retriever):
* bench: the error queries of bench/retrieval.py, a misspelling and a wrong namespace of the lemma of every
  informal query (its functions, seed 0);
* random: ``--random`` real names drawn with ``--seed``, each misspelt and each moved to another namespace.
Prints construction time (median of ``--runs`` new processes, so first-touch memory counts as in a cold
``prover search``), lookup p50/p95 (the new one: per query the median of 3 runs), and how many top-10 lists
differ from the full scans' and where. The full scans' lists and times are cached in ``--work-dir``.
``--hybrid`` also times warm error queries of the hybrid retriever over the index beside the names file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.names import CANDIDATES, EXACT_FROM, NameMatcher  # noqa: E402
from tests.fakes.full_scan_names import FullScanMatcher  # noqa: E402

K = 10
INDEXES = Path.home() / ".cache" / "prover-bench" / "retrieval" / "full" / "index"


def retrieval_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_retrieval", REPO / "bench" / "retrieval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def query_sets(names: list[str], random_count: int, seed: int) -> dict[str, list[str]]:
    bench = retrieval_bench()
    known = set(names)
    _, truth, _ = bench.load_informal(known)
    rng = random.Random(0)  # as bench/retrieval.py with its default seed
    errors = []
    for (lemma,) in (tuple(t) for t in truth.values()):
        errors += [bench.misspell(lemma, rng, known), bench.wrong_namespace(lemma, rng, known)]
    rng = random.Random(seed)
    drawn = []
    for name in rng.sample(names, random_count):
        drawn += [bench.misspell(name, rng, known), bench.wrong_namespace(name, rng, known)]
    return {"bench": errors, "random": drawn}


def full_scan_results(
    names: list[str], sets: dict[str, list[str]], cache: Path
) -> dict[str, tuple[list[list[tuple[int, float]]], list[float]]]:
    if cache.is_file():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        return {
            label: ([[(int(i), float(s)) for i, s in r] for r in v["ranked"]], v["seconds"])
            for label, v in stored.items()
        }
    matcher = FullScanMatcher(names)
    results = {}
    for label, queries in sets.items():
        ranked, seconds = [], []
        for query in queries:
            started = time.perf_counter()
            ranked.append(matcher.lookup(query, K))
            seconds.append(time.perf_counter() - started)
        results[label] = (ranked, seconds)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(
        json.dumps({s: {"ranked": r, "seconds": t} for s, (r, t) in results.items()}), encoding="utf-8"
    )
    return results


def construction_ms(which: str, names_file: Path, runs: int) -> list[float]:
    code = (
        f"import sys, time; sys.argv = ['names']; sys.path.insert(0, {str(REPO / 'bench')!r})\n"
        "import names as bench\n"
        f"names = open({str(names_file)!r}, encoding='utf-8').read().splitlines()\n"
        "import numpy, rapidfuzz.process\n"
        f"cls = bench.FullScanMatcher if {which == 'full scans'} else bench.NameMatcher\n"
        "started = time.perf_counter(); cls(names); print(time.perf_counter() - started)\n"
    )
    return [
        1000
        * float(
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(runs)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def compare(expected: list[list[tuple[int, float]]], found: list[list[tuple[int, float]]]) -> str:
    differ = [(e, f) for e, f in zip(expected, found, strict=True) if e != f]
    broken = sum(
        f[: len(sure)] != sure or any(s >= EXACT_FROM for _, s in f[len(sure) :])
        for e, f in differ
        for sure in [[p for p in e if p[1] >= EXACT_FROM]]
    )
    only_ties = sum(sorted(s for _, s in e) == sorted(s for _, s in f) for e, f in differ)
    first = [next(e[j][1] for j in range(len(e)) if j >= len(f) or f[j] != e[j]) for e, f in differ]
    where = f"; reference score at the first difference: max {max(first):.3f}, median {statistics.median(first):.3f}"
    return (
        f"{len(differ)}/{len(expected)} top-{K} lists differ ({only_ties} only in which of equal-scored names); "
        f"results >= {EXACT_FROM} not those of the full scans: {broken}" + (where if differ else "")
    )


def hybrid_latency(names_file: Path, sets: dict[str, list[str]], matchers: dict[str, Any]) -> None:
    from prover.settings import Settings
    from retrieval.retrievers import Bm25Retriever, DenseRetriever, HybridRetriever
    from retrieval.store import PremiseIndex

    index = PremiseIndex(names_file.parent)
    hybrid = HybridRetriever(Bm25Retriever(index), DenseRetriever(index, Settings().retrieval.dense_model))
    queries = [f"unknown identifier '{q}'" for q in sets["bench"]]
    for label, matcher in matchers.items():
        hybrid.__dict__["_matcher"] = matcher  # the cached_property's slot
        hybrid.ranked(queries[0], 50)
        walls = []
        for query in queries:
            started = time.perf_counter()
            hybrid.ranked(query, 50)
            walls.append(time.perf_counter() - started)
        print(
            f"hybrid error query, {label}: p50 {1000 * statistics.median(walls):.1f} ms, "
            f"p95 {1000 * percentile(walls, 0.95):.1f} ms ({len(walls)} bench queries, warm)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    found = sorted(INDEXES.glob("*/names.txt"), key=lambda p: p.stat().st_mtime)
    parser.add_argument("--names", type=Path, default=found[-1] if found else None)
    parser.add_argument("--random", type=int, default=1000, help="random real names (two queries each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=Path.home() / ".cache" / "prover-bench" / "names")
    parser.add_argument("--candidates", type=int, nargs="+", default=[CANDIDATES])
    parser.add_argument("--hybrid", action="store_true")
    args = parser.parse_args()
    if args.names is None or not args.names.is_file():
        parser.error(
            f"no names file (build the full index with bench/retrieval.py, or pass --names): {args.names}"
        )
    names = args.names.read_text(encoding="utf-8").splitlines()
    sets = query_sets(names, args.random, args.seed)
    digest = hashlib.sha256(json.dumps([names, sets]).encode()).hexdigest()[:16]
    reference = full_scan_results(names, sets, args.work_dir / f"full-scans-{digest}.json")
    print(f"{len(names)} names; queries: " + ", ".join(f"{label} {len(q)}" for label, q in sets.items()))

    for which in ("full scans", "trigram index"):
        times = construction_ms(which, args.names, args.runs)
        print(
            f"construction, {which}: median {statistics.median(times):.0f} ms of {args.runs} new processes "
            f"({', '.join(f'{t:.0f}' for t in times)})"
        )
    for candidates in args.candidates:
        matcher = NameMatcher(names, candidates=candidates)
        matcher.lookup("warm up", K)
        for label, queries in sets.items():
            expected, full_seconds = reference[label]
            ranked = [matcher.lookup(query, K) for query in queries]
            seconds = [statistics.median(_timed(matcher, query) for _ in range(3)) for query in queries]
            timed = [("full scans", full_seconds)] if candidates == args.candidates[0] else []
            for who, walls in [*timed, (f"trigram index, candidates={candidates}", seconds)]:
                print(
                    f"{label}, {who}: lookup p50 {1000 * statistics.median(walls):.2f} ms, "
                    f"p95 {1000 * percentile(walls, 0.95):.2f} ms"
                )
            print(f"{label}, candidates={candidates}: {compare(expected, ranked)}")
    if args.hybrid:
        matchers = {"full scans": FullScanMatcher(names), "trigram index": NameMatcher(names)}
        hybrid_latency(args.names, sets, matchers)


def _timed(matcher: NameMatcher, query: str) -> float:
    started = time.perf_counter()
    matcher.lookup(query, K)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
