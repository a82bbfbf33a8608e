"""Z3 engine over every miniF2F variant in ../shared/datasets/minif2f/ and over the Lean-printed `goal` fields.

Prints, per source: statements, parsed (target elaborated), translated (target reached Z3 or the exact
evaluator), valid, refuted, vacuous, unknown, unsupported, median and p95 time per statement, wall time.
Then every refuted and vacuous case with its evidence. At most 2 worker threads, each with its own Z3 process.

    python bench/smt_minif2f.py [--timeout 2.0] [--workers 2] [--limit N] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from prover.settings import SmtSettings
from prover.smt.audit import evidence_of
from prover.smt.core import OutsideFragment
from prover.smt.engine import SmtEngine
from prover.smt.statement import query_from_goal, query_from_statement
from prover.types import SmtStatus

DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "minif2f"
STATEMENT_FIELDS = ("formal_statement", "lean_file", "formal")


@dataclass(frozen=True)
class Item:
    source: str
    name: str
    text: str
    is_goal: bool


@dataclass(frozen=True)
class Outcome:
    item: Item
    parsed: bool
    translated: bool
    status: SmtStatus
    evidence: str
    elapsed_s: float


def load_items(only: str | None, limit: int | None) -> list[Item]:
    items: list[Item] = []
    for path in sorted(DATASETS.glob("*.jsonl")):
        if only and only not in path.stem:
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = rows[:limit] if limit else rows
        for row in rows:
            field = next(f for f in STATEMENT_FIELDS if f in row)
            items.append(Item(path.stem, row["name"], row[field], False))
        for row in rows:
            if "goal" in row:
                items.append(Item(path.stem + ":goal", row["name"], row["goal"], True))
    return items


def run(items: list[Item], settings: SmtSettings, workers: int) -> list[Outcome]:
    local = threading.local()
    engines: list[SmtEngine] = []
    lock = threading.Lock()

    def engine() -> SmtEngine:
        if not hasattr(local, "engine"):
            local.engine = SmtEngine(settings)
            with lock:
                engines.append(local.engine)
        return local.engine

    def decide(item: Item) -> Outcome:
        started = time.monotonic()
        try:
            query = query_from_goal(item.text) if item.is_goal else query_from_statement(item.text)
        except OutsideFragment as error:
            return Outcome(item, False, False, SmtStatus.unsupported, str(error), time.monotonic() - started)
        decision = engine().explain_query(query, started=started)
        result = decision.result
        return Outcome(
            item,
            query.goal is not None,
            decision.goal_translated,
            result.status,
            evidence_of(result),
            result.elapsed_s,
        )

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(decide, items))
    finally:
        for each in engines:
            each.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2, choices=(1, 2))
    parser.add_argument("--limit", type=int, default=None, help="rows per file (default: all)")
    parser.add_argument("--only", default=None, help="only files whose name contains this")
    args = parser.parse_args()
    if not DATASETS.is_dir():
        sys.exit(f"datasets not found at {DATASETS}")
    items = load_items(args.only, args.limit)
    settings = SmtSettings(timeout_s=args.timeout)
    started = time.monotonic()
    outcomes = run(items, settings, args.workers)
    wall = time.monotonic() - started

    sources = list(dict.fromkeys(o.item.source for o in outcomes))
    header = [
        "source",
        "n",
        "parsed",
        "transl",
        "valid",
        "refuted",
        "vacuous",
        "unknown",
        "unsupp",
        "med s",
        "p95 s",
    ]
    print(f"Z3 engine on miniF2F (timeout {args.timeout}s/query, {args.workers} workers)")
    print(" | ".join(f"{h:>9}" if i else f"{h:<30}" for i, h in enumerate(header)))
    for source in [*sources, "ALL"]:
        rows = [o for o in outcomes if source in ("ALL", o.item.source)]
        times = [o.elapsed_s for o in rows]
        cells = [
            len(rows),
            sum(o.parsed for o in rows),
            sum(o.translated for o in rows),
            *(sum(o.status is status for o in rows) for status in SmtStatus),
        ]
        line = [f"{source:<30}", *(f"{c:>9}" for c in cells)]
        line += [f"{statistics.median(times) if times else 0:>9.3f}", f"{percentile(times, 0.95):>9.3f}"]
        print(" | ".join(line))
    print(f"total wall time: {wall:.1f}s for {len(outcomes)} items")
    for status in (SmtStatus.refuted, SmtStatus.vacuous):
        print(f"\n{status.value.upper()} cases:")
        for o in outcomes:
            if o.status is status:
                print(f"  {o.item.source} {o.item.name}: {o.evidence}")


if __name__ == "__main__":
    main()
