"""Premise retrieval on real data: recall@1/10/50 of BM25, dense and hybrid, latency, build cost, lookups.

Ground truth: the Mathlib lemma names that published miniF2F proofs (``datasets/minif2f-proofs/*.jsonl``)
actually use and that exist in the premise corpus (an identifier counts when it is a corpus name as
written, or under a namespace the proof ``open``s; the first word of a tactic, its name, does not count). Queries: each problem's formal statement from
``minif2f/dspplus_minif2f.jsonl`` and, separately, its informal statement. Nothing is held out and nothing
was tuned on this ground truth.

Dense embeddings of the full corpus take about an hour on 2 shared CPU cores, so by default dense and
hybrid are measured on a documented subset: every ground-truth premise plus a seeded random sample of the
rest (``--subset``); BM25 is reported on both, so the subset's optimism can be read off. ``--subset 0``
embeds the full corpus.

    python bench/retrieval.py [--subset 20000] [--cold-runs 10] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prover.settings import Settings  # noqa: E402
from retrieval.corpus import load_corpus, write_corpus  # noqa: E402
from retrieval.query import query_from_statement  # noqa: E402
from retrieval.retrievers import Bm25Retriever, DenseRetriever, HybridRetriever, make_retriever  # noqa: E402
from retrieval.store import PremiseIndex, build_index  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"
IDENT = re.compile(r"(?<![\w.'])[A-Za-z_][\w'.]*[\w']")
TACTIC_HEAD = re.compile(r"(^|<;>|;|·|\bby\b)(\s*)[A-Za-z_][\w'?!]*", re.MULTILINE)
OPEN = re.compile(r"^open\s+(?:scoped\s+)?([^\n]+)$", re.MULTILINE)
KS = (1, 10, 50)


def ground_truth(names: set[str]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = defaultdict(set)
    for path in sorted((DATASETS / "minif2f-proofs").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            proof = re.sub(r"/-.*?-/|--[^\n]*", " ", row["proof"], flags=re.DOTALL)
            opened = [ns for m in OPEN.finditer(proof) for ns in m.group(1).split() if ns[:1].isupper()]
            # A tactic's own name (``by_cases``, ``ext``) can equal a lemma's; only its arguments count.
            proof = TACTIC_HEAD.sub(r"\1\2", proof)
            for ident in set(IDENT.findall(proof)):
                for candidate in (ident, *(f"{ns}.{ident}" for ns in opened)):
                    if candidate in names:
                        used[row["name"]].add(candidate)
                        break
    return used


def recall(ranked: list[str], truth: set[str], k: int) -> float:
    return len(truth & set(ranked[:k])) / len(truth)


def evaluate(retriever: object, queries: dict[str, str], truth: dict[str, set[str]]) -> dict[str, float]:
    totals = dict.fromkeys(KS, 0.0)
    latencies: list[float] = []
    for problem, query in queries.items():
        started = time.perf_counter()
        ranked = retriever.ranked(query, max(KS))  # type: ignore[attr-defined]
        latencies.append(time.perf_counter() - started)
        names = [retriever.index.names[i] for i, _ in ranked]  # type: ignore[attr-defined]
        for k in KS:
            totals[k] += recall(names, truth[problem], k)
    latencies.sort()
    result = {f"R@{k}": totals[k] / len(queries) for k in KS}
    result["p50 ms"] = 1000 * statistics.median(latencies)
    result["p95 ms"] = 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    return result


def misspell(name: str, rng: random.Random, names: set[str]) -> str:
    """One edit (delete, substitute, insert or transpose) inside the last component, not a real name."""
    head, _, last = name.rpartition(".")
    for _ in range(50):
        i = rng.randrange(len(last))
        op = rng.choice("dsit")
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        if op == "d" and len(last) > 1:
            new = last[:i] + last[i + 1 :]
        elif op == "s":
            new = last[:i] + letter + last[i + 1 :]
        elif op == "i":
            new = last[:i] + letter + last[i:]
        elif i + 1 < len(last):
            new = last[:i] + last[i + 1] + last[i] + last[i + 2 :]
        else:
            continue
        candidate = f"{head}.{new}" if head else new
        if candidate not in names:
            return candidate
    return name + "x"


NAMESPACES = ("Nat", "Int", "Real", "Rat", "Complex", "Finset", "NNReal", "ENNReal", "Polynomial")


def wrong_namespace(name: str, rng: random.Random, names: set[str]) -> str:
    """The last component under another common namespace (or none), not a real name."""
    head, _, last = name.rpartition(".")
    options = [ns for ns in NAMESPACES if ns != head] + ([""] if head else [])
    rng.shuffle(options)
    for ns in options:
        candidate = f"{ns}.{last}" if ns else last
        if candidate not in names:
            return candidate
    return f"Foo.{last}"


def cold_search(cache_dir: Path, mode: str, runs: int) -> float:
    env = {**os.environ, "PROVER_CACHE_DIR": str(cache_dir)}
    env.pop("PROVER_RETRIEVAL__INDEX_DIR", None)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            ["prover", "search", "theorem t (x : ℝ) (h : 0 < x) : Real.log (x ^ 2) = 2 * Real.log x",
             "--mode", mode, "--format", "json"],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}", flush=True)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus", type=Path, default=DATASETS / "premises" / "mathlib_theorems_2c4e038a.jsonl.gz"
    )
    parser.add_argument("--subset", type=int, default=20000, help="premises in the dense subset (0 = full)")
    parser.add_argument("--cold-runs", type=int, default=10)
    parser.add_argument(
        "--work-dir", type=Path, default=Path.home() / ".cache" / "prover-bench" / "retrieval"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    full_settings = Settings(cache_dir=args.work_dir / "full")
    full_report = build_index(args.corpus, full_settings, dense=args.subset == 0)
    full_index = PremiseIndex(full_report.index_dir)
    names = set(full_index.names)

    truth = ground_truth(names)
    problems = {json.loads(line)["name"]: json.loads(line) for line in
                (DATASETS / "minif2f" / "dspplus_minif2f.jsonl").read_text(encoding="utf-8").splitlines()}  # fmt: skip
    truth = {p: t for p, t in truth.items() if p in problems}
    formal = {p: query_from_statement(problems[p]["formal_statement"]) for p in truth}
    informal = {p: problems[p]["informal_statement"] for p in truth}
    gt_names = sorted(set().union(*truth.values()))
    print(f"ground truth: {len(truth)} problems, {sum(map(len, truth.values()))} (problem, lemma) pairs, "
          f"{len(gt_names)} distinct lemmas; corpus {len(full_index)} premises")  # fmt: skip

    # ---- dense subset
    if args.subset:
        rng = random.Random(args.seed)
        premises = load_corpus(args.corpus)
        keep = set(gt_names)
        others = [p.name for p in premises if p.name not in keep]
        keep |= set(rng.sample(others, max(0, args.subset - len(keep))))
        subset_file = args.work_dir / f"subset_{args.subset}_seed{args.seed}.jsonl"
        subset_file.parent.mkdir(parents=True, exist_ok=True)
        if not subset_file.exists():
            write_corpus((p for p in premises if p.name in keep), subset_file)
        eval_settings = Settings(cache_dir=args.work_dir / "subset")
        eval_report = build_index(subset_file, eval_settings, dense=True)
    else:
        eval_settings, eval_report = full_settings, full_report
    eval_index = PremiseIndex(eval_report.index_dir)
    model = eval_settings.retrieval.dense_model

    rows = []
    full_bm25 = Bm25Retriever(full_index)
    for query_kind, queries in (("formal", formal), ("informal", informal)):
        result = evaluate(full_bm25, queries, truth)
        rows.append(
            [f"full corpus ({len(full_index)})", "bm25", query_kind] + [f"{v:.3f}" for v in result.values()]
        )
        for mode in ("bm25", "dense", "hybrid") if args.subset else ("dense", "hybrid"):  # bm25 full: above
            retriever = make_retriever(eval_index, mode, model)
            assert isinstance(retriever, Bm25Retriever | DenseRetriever | HybridRetriever)
            result = evaluate(retriever, queries, truth)
            label = "full corpus" if not args.subset else f"subset ({len(eval_index)})"
            rows.append([label, mode, query_kind] + [f"{v:.3f}" for v in result.values()])
    table("recall (macro over problems) and warm query latency",
          ["index", "mode", "query", "R@1", "R@10", "R@50", "p50 ms", "p95 ms"], rows)  # fmt: skip

    info = eval_index.info()
    full_info = full_index.info()
    build_rows = [["corpus + bm25 (full)", str(len(full_index)), f"{full_info.build_s:.1f}",
                   f"{full_info.size_bytes / 1e6:.1f}"]]  # fmt: skip
    scale = len(full_index) / len(eval_index)
    for d in info.dense:
        build_rows.append([f"dense {d.model} ({'subset' if args.subset else 'full'})", str(len(eval_index)),
                           f"{d.build_s:.0f}", f"{d.size_bytes / 1e6:.1f}"])  # fmt: skip
        if args.subset:
            build_rows.append([f"dense {d.model} (full, extrapolated)", str(len(full_index)),
                               f"~{d.build_s * scale:.0f}", f"~{d.size_bytes * scale / 1e6:.0f}"])  # fmt: skip
    table("index build (this machine)", ["index", "premises", "build s", "size MB"], build_rows)

    # ---- error lookups on the full corpus
    rng = random.Random(args.seed)
    hits = {"one-edit misspelling": 0, "wrong namespace": 0}
    for name in gt_names:
        for kind, broken in (("one-edit misspelling", misspell(name, rng, names)),
                             ("wrong namespace", wrong_namespace(name, rng, names))):  # fmt: skip
            if name in [h.premise.name for h in full_bm25.lookup_name(broken, 5)]:
                hits[kind] += 1
    table("error lookups: real name in the top 5 (full corpus)", ["variant", "found", "rate"],
          [[k, f"{v}/{len(gt_names)}", f"{v / len(gt_names):.3f}"] for k, v in hits.items()])  # fmt: skip

    if args.cold_runs:
        cold = [["bm25", "full corpus", f"{cold_search(args.work_dir / 'full', 'bm25', args.cold_runs):.2f}"]]
        cold_label = "full corpus" if not args.subset else "subset"
        cold_dir = args.work_dir / ("full" if not args.subset else "subset")
        for mode in ("dense", "hybrid"):
            cold.append([mode, cold_label, f"{cold_search(cold_dir, mode, args.cold_runs):.2f}"])
        table(f"cold `prover search` (new process, index built): median of {args.cold_runs} runs",
              ["mode", "index", "seconds"], cold)  # fmt: skip


if __name__ == "__main__":
    main()
