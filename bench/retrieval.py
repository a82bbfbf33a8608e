"""Premise retrieval on real data: recall@1/10/50 per mode and query kind, warm latency, cold start, build cost.

Three query sets, each a table (macro recall over queries; latency is the warm wall time of ``ranked``):

* informal: ``bench/data/informal_queries.jsonl``, English descriptions written for this benchmark from the
  premise corpus (algebra, number theory, analysis, combinatorics), each naming the one lemma it describes;
* published proofs: the Mathlib lemmas that published miniF2F proofs (``datasets/minif2f-proofs``) use and
  that the corpus has (an identifier counts when it is a corpus name as written, or under a namespace the
  proof ``open``s; a tactic's own name does not), queried by each problem's formal statement and,
  separately, its informal statement (``minif2f/dspplus_minif2f.jsonl``);
* errors: ``unknown identifier 'X'`` for a one-edit misspelling and a wrong namespace of every informal
  target, the real name being the answer.

Nothing was tuned on these sets beyond what the closing note of issue 17 says.

The reference run is ``--subset 0``: dense and hybrid over the full corpus (181,801 premises), whose
dense build takes 55-90 minutes on 2 CPU cores (the document encoder table compares the two build-time
encoders on a seeded sample). A smaller ``--subset N`` embeds every target lemma of the three sets plus a
seeded random sample of the rest, in minutes, with optimistic dense recall; BM25 is then also reported on
the full corpus, so the subset's optimism can be read off. Other tables: the query encoders (load, warm
latency, difference from sentence-transformers), HNSW graph agreement with the exact scan (subset runs),
cold ``prover search`` per mode, and the index build's own timings. ``--synthetic`` adds warm latency on
SYNTHETIC vectors of the full corpus's shape (the code path, not recall) for subset runs.

    python bench/retrieval.py [--subset 8000] [--cold-runs 5] [--document-sample 2000] [--work-dir DIR]
                              [--synthetic/--no-synthetic]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from prover.settings import Settings  # noqa: E402
from retrieval.corpus import load_corpus, write_corpus  # noqa: E402
from retrieval.query import query_from_statement, statement_text  # noqa: E402
from retrieval.retrievers import Bm25Retriever, DenseRetriever, HybridRetriever, make_retriever  # noqa: E402
from retrieval.store import PremiseIndex, build_index  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"
INFORMAL_SET = REPO / "bench" / "data" / "informal_queries.jsonl"
IDENT = re.compile(r"(?<![\w.'])[A-Za-z_][\w'.]*[\w']")
TACTIC_HEAD = re.compile(r"(^|<;>|;|·|\bby\b)(\s*)[A-Za-z_][\w'?!]*", re.MULTILINE)
OPEN = re.compile(r"^open\s+(?:scoped\s+)?([^\n]+)$", re.MULTILINE)
KS = (1, 10, 50)
MODES = ("bm25", "dense", "hybrid")
DEFAULT_MODE = "hybrid"


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


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def evaluate(retriever: Any, queries: dict[str, str], truth: dict[str, set[str]]) -> dict[str, float]:
    """Macro recall@k over queries, warm wall and CPU latency of ``ranked`` (one untimed warm-up first)."""
    totals = dict.fromkeys(KS, 0.0)
    walls: list[float] = []
    cpus: list[float] = []
    retriever.ranked(next(iter(queries.values())), max(KS))
    for key, query in queries.items():
        started, cpu_started = time.perf_counter(), cpu_s()
        ranked = retriever.ranked(query, max(KS))
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_s() - cpu_started)
        names = [retriever.index.names[i] for i, _ in ranked]
        for k in KS:
            totals[k] += len(truth[key] & set(names[:k])) / len(truth[key])
    result = {f"R@{k}": totals[k] / len(queries) for k in KS}
    result["p50 ms"] = 1000 * statistics.median(walls)
    result["p95 ms"] = 1000 * pct(walls, 0.95)
    result["cpu p95 ms"] = 1000 * pct(cpus, 0.95)
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


def cold_search(cache_dir: Path, mode: str, runs: int, output: str = "json") -> float:
    """Median wall time of a new ``prover search`` process, after one untimed run: the index files are then
    in the page cache and the modules' bytecode is written, as on any machine after the first search
    (``PYTHONDONTWRITEBYTECODE``, set in some sandboxes, would compile every prover module each time)."""
    env = {**os.environ, "PROVER_CACHE_DIR": str(cache_dir)}
    env.pop("PROVER_RETRIEVAL__INDEX_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    prover = Path(sys.executable).parent / "prover"
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(
            [str(prover) if prover.exists() else "prover", "search",
             "theorem t (x : ℝ) (h : 0 < x) : Real.log (x ^ 2) = 2 * Real.log x",
             "--mode", mode, "--format", output],
            env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}", flush=True)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)), flush=True)


def load_informal(names: set[str]) -> tuple[dict[str, str], dict[str, set[str]], dict[str, str]]:
    queries: dict[str, str] = {}
    truth: dict[str, set[str]] = {}
    area: dict[str, str] = {}
    missing = []
    for number, line in enumerate(INFORMAL_SET.read_text(encoding="utf-8").splitlines(), start=1):
        row = json.loads(line)
        if row["lemma"] not in names:
            missing.append(row["lemma"])
            continue
        key = f"informal:{number}"
        queries[key], truth[key], area[key] = row["query"], {row["lemma"]}, row["area"]
    if missing:
        print(f"informal set: {len(missing)} target(s) not in the corpus, skipped: {', '.join(missing)}")
    return queries, truth, area


class _SyntheticDense(DenseRetriever):
    """The dense retriever over a folder of synthetic vectors (latency only)."""

    def __init__(self, index: PremiseIndex, model_spec: str, vectors_dir: Path) -> None:
        super().__init__(index, model_spec)
        self.vectors_dir = vectors_dir

    @cached_property
    def _searcher(self) -> Any:
        from retrieval.dense import DenseSearcher
        from retrieval.encoder import load_query_encoder, resolve_model
        from retrieval.onnx_bert import ensure_graph

        model = resolve_model(self.model_spec)
        if model.local_dir is not None:
            ensure_graph(model.local_dir, self.vectors_dir)
        return DenseSearcher(self.vectors_dir, load_query_encoder(model, self.vectors_dir))


def synthetic_latency(
    full_index: PremiseIndex, model_spec: str, work_dir: Path, queries: dict[str, str]
) -> None:
    """Warm latency at full scale: the real BM25 index and query encoder, synthetic dense vectors."""
    from retrieval import dense
    from retrieval.bm25 import top_k

    rows = len(full_index)
    out = work_dir / f"synthetic-{rows}"
    rng = np.random.default_rng(0)
    built = []
    if not (out / "done").is_file():
        # Clustered unit vectors (2,000 centres): closer to sentence embeddings than i.i.d. noise.
        centres = rng.standard_normal((2000, 384)).astype(np.float32)
        vectors = centres[rng.integers(0, 2000, rows)] + 0.7 * rng.standard_normal((rows, 384)).astype(
            np.float32
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        started, cpu_started = time.perf_counter(), cpu_s()
        dense.save_embeddings(vectors, out)
        built = [f"{time.perf_counter() - started:.0f}", f"{cpu_s() - cpu_started:.0f}"]
        (out / "done").write_text(json.dumps(built), encoding="utf-8")
    else:
        built = json.loads((out / "done").read_text(encoding="utf-8"))
    files = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    table(
        f"synthetic dense vectors for {rows} premises (float32 unit vectors, 384 dims): files and save time",
        ["files", "MB", "save+graph wall s", "cpu s"],
        [[", ".join(sorted(files)), f"{sum(files.values()) / 1e6:.0f}", *built]],
    )
    bm25 = Bm25Retriever(full_index)
    synthetic = _SyntheticDense(full_index, model_spec, out)
    hybrid = HybridRetriever(bm25, synthetic)
    result_rows = []
    for label, retriever in (("dense", synthetic), ("hybrid", hybrid)):
        walls: list[float] = []
        cpus: list[float] = []
        retriever.ranked("warm up", 50)
        for _ in range(3):
            for query in queries.values():
                started, cpu_started = time.perf_counter(), cpu_s()
                retriever.ranked(query, 50)
                walls.append(time.perf_counter() - started)
                cpus.append(cpu_s() - cpu_started)
        approximate = getattr(synthetic._searcher, "approximate", False)
        result_rows.append(
            [label, "hnsw graph + exact rescoring" if approximate else "exact scan", str(len(walls)),
             f"{1000 * statistics.median(walls):.1f}", f"{1000 * pct(walls, 0.95):.1f}",
             f"{1000 * statistics.median(cpus):.1f}", f"{1000 * pct(cpus, 0.95):.1f}"]
        )  # fmt: skip
    # How much of the exact top 50 the graph finds on these vectors (queries: perturbed corpus vectors).
    searcher = synthetic._searcher
    vectors = np.load(out / dense.EMBEDDINGS_FILE, mmap_mode="r")
    overlap = []
    if getattr(searcher, "approximate", False):
        for i in rng.integers(0, rows, 100):
            q = np.asarray(vectors[i], dtype=np.float32) + 0.05 * rng.standard_normal(384).astype(np.float32)
            q /= np.linalg.norm(q)
            exact = {j for j, _ in top_k(np.asarray(vectors @ q, dtype=np.float32) + 1.0, 50)}
            found = {j for j, _ in searcher.search_vector(q, 50)}
            overlap.append(len(exact & found) / 50)
    table(
        f"warm latency at full scale ({rows} premises, synthetic dense vectors, real BM25 index and query "
        f"encoder; {len(queries)} informal queries x 3; load average {os.getloadavg()[0]:.1f})",
        ["mode", "dense search", "queries", "p50 ms", "p95 ms", "cpu p50 ms", "cpu p95 ms"],
        result_rows,
    )
    if overlap:
        print(f"graph recall of the exact top 50 on the synthetic vectors: {statistics.mean(overlap):.3f}")


def encoder_latency(model_spec: str, work_dir: Path, queries: dict[str, str]) -> None:
    """The query encoders side by side on the informal queries: load time, warm latency (numpy on one BLAS
    thread; ONNX Runtime on the threads shown), and the largest difference from sentence-transformers'."""
    from threadpoolctl import threadpool_limits

    from retrieval.encoder import SentenceTransformerEncoder, resolve_model
    from retrieval.numpy_bert import NumpyBertEncoder
    from retrieval.onnx_bert import GRAPH_FILE, OnnxBertEncoder, ensure_graph, query_threads

    model = resolve_model(model_spec)
    if model.local_dir is None:
        print("\nencoder table: skipped (the model is not a local checkpoint)")
        return
    started = time.perf_counter()
    ensure_graph(model.local_dir, work_dir / "encoder" / model.key)
    graph = work_dir / "encoder" / model.key / GRAPH_FILE
    export_s = time.perf_counter() - started
    texts = list(queries.values())
    reference = SentenceTransformerEncoder(model, device="cpu").encode(texts)
    rows = []
    for label, load in (
        ("numpy (hidden x tokens layout)", lambda: NumpyBertEncoder(model.local_dir)),
        ("onnxruntime, 1 thread", lambda: OnnxBertEncoder(graph, model.local_dir, threads=1)),
        (
            f"onnxruntime, {query_threads()} threads (the default)",
            lambda: OnnxBertEncoder(graph, model.local_dir),
        ),
    ):
        started = time.perf_counter()
        encoder = load()
        encoder.encode(texts[:1])  # the ONNX session loads in the background until the first query
        load_s = time.perf_counter() - started
        walls = []
        with threadpool_limits(limits=1, user_api="blas"):
            for _ in range(3):
                for text in texts:
                    started = time.perf_counter()
                    encoder.encode([text])
                    walls.append(time.perf_counter() - started)
        diff = float(np.abs(encoder.encode(texts) - reference).max())
        rows.append([label, f"{load_s:.2f}", f"{1000 * statistics.median(walls):.1f}",
                     f"{1000 * pct(walls, 0.95):.1f}", f"{diff:.1e}"])  # fmt: skip
    table(
        f"query encoders ({model.spec}, {len(texts)} informal queries x 3, warm; graph export "
        f"{export_s:.1f} s; load average {os.getloadavg()[0]:.1f})",
        ["encoder", "load s (to 1st query)", "p50 ms", "p95 ms", "max |diff| vs sentence-transformers"],
        rows,
    )


def query_length(
    index: PremiseIndex, model_spec: str, query_sets: dict[str, tuple[dict[str, str], dict[str, set[str]]]]
) -> None:
    """Dense recall and warm latency when queries are cut to N tokens (their beginning); the default cut is
    ``QUERY_MAX_TOKENS``. Each set's token counts are shown (p50/p95/max, the model's own limit)."""
    from retrieval.bert_checkpoint import BertCheckpoint
    from retrieval.dense import DenseSearcher
    from retrieval.encoder import QUERY_MAX_TOKENS, resolve_model
    from retrieval.onnx_bert import OnnxBertEncoder, usable_graph

    model = resolve_model(model_spec)
    model_dir = index.dense_dir(model.key)
    graph = usable_graph(model_dir)
    if model.local_dir is None or graph is None:
        print("\nquery length table: skipped (needs the ONNX query encoder of a local checkpoint)")
        return
    tokenizer = BertCheckpoint(model.local_dir)  # the model's own limit
    lengths = {label: sorted(len(tokenizer.token_ids(q)) for q in queries.values())
               for label, (queries, _) in query_sets.items()}  # fmt: skip
    rows = []
    for cap in (None, 128, QUERY_MAX_TOKENS, 48, 40):
        retriever = DenseRetriever(index, model_spec)
        encoder = OnnxBertEncoder(graph, model.local_dir, max_tokens=cap)
        retriever.__dict__["_searcher"] = DenseSearcher(model_dir, encoder)  # the cached searcher, replaced
        row = [
            ("model limit" if cap is None else str(cap)) + (" (default)" if cap == QUERY_MAX_TOKENS else "")
        ]
        for queries, truth in query_sets.values():
            result = evaluate(retriever, queries, truth)
            row.append(f"{result['R@10']:.4f} / {result['R@50']:.4f} / {result['p95 ms']:.1f}")
        rows.append(row)
    table(
        "dense: queries cut to N tokens; R@10 / R@50 / p95 ms per set (tokens p50/p95/max: "
        + "; ".join(f"{label} {pct(v, 0.5)}/{pct(v, 0.95)}/{v[-1]}" for label, v in lengths.items())
        + ")",
        ["tokens read", *query_sets],
        rows,
    )


def document_encoders(model_spec: str, work_dir: Path, texts: list[str], sample: int, seed: int) -> None:
    """The two build-time document encoders on the same seeded sample of indexed texts: throughput, the
    full corpus's encoding time extrapolated from it, and their largest difference."""
    from retrieval.encoder import SentenceTransformerEncoder, embed_documents, resolve_model
    from retrieval.onnx_bert import GRAPH_FILE, OnnxBertEncoder, ensure_graph
    from retrieval.store import DENSE_MAX_TOKENS

    model = resolve_model(model_spec)
    if model.local_dir is None:
        return
    ensure_graph(model.local_dir, work_dir / "encoder" / model.key)
    graph = work_dir / "encoder" / model.key / GRAPH_FILE
    distinct = sorted(set(texts))
    chosen = random.Random(seed).sample(distinct, min(sample, len(distinct)))
    threads = len(os.sched_getaffinity(0))
    rows, outputs = [], []
    for label, encoder in (
        ("sentence-transformers (torch, padded batches of 128)",
         SentenceTransformerEncoder(model, device="cpu", max_seq_length=DENSE_MAX_TOKENS)),
        (f"onnxruntime, {threads} threads, one unpadded text each",
         OnnxBertEncoder(graph, model.local_dir, max_tokens=DENSE_MAX_TOKENS, batch_threads=threads)),
    ):  # fmt: skip
        started = time.perf_counter()
        outputs.append(embed_documents(encoder, chosen, lambda done: None))
        seconds = time.perf_counter() - started
        rows.append([label, f"{len(chosen) / seconds:.0f}", f"{seconds:.1f}",
                     f"{len(distinct) / (len(chosen) / seconds) / 60:.0f}"])  # fmt: skip
    diff = float(np.abs(outputs[0] - outputs[1]).max())
    table(
        f"document encoders at build time: {len(chosen)} of the {len(distinct)} distinct indexed texts "
        f"(seed {seed}), at most {DENSE_MAX_TOKENS} tokens; max |diff| between them {diff:.1e}; load average "
        f"{os.getloadavg()[0]:.1f}",
        ["encoder", "texts/s", "sample s", "full corpus min (extrapolated)"],
        rows,
    )


def graph_agreement(
    eval_index: PremiseIndex, model_spec: str, queries: dict[str, str], work_dir: Path
) -> None:
    """On the real sub-corpus embeddings: how much of the exact top 10/50 the HNSW graph + rescoring finds
    (the sub-corpus is below ``ANN_MIN_ROWS``, so its own index searches exactly; the graph is built here)."""
    from retrieval import dense
    from retrieval.encoder import load_query_encoder, resolve_model

    if dense._usearch_index() is None or not hasattr(dense.DenseSearcher, "search_vector"):
        print("\ngraph agreement: skipped (no usearch, or a dense module without the graph)")
        return
    model = resolve_model(model_spec)
    source = eval_index.dense_dir(model.key)
    out = work_dir / f"graph-check-{eval_index.directory.name}"
    if not (out / dense.ANN_FILE).is_file():
        vectors = np.load(source / dense.EMBEDDINGS_FILE)
        saved_min, dense.ANN_MIN_ROWS = dense.ANN_MIN_ROWS, 0
        try:
            dense.save_embeddings(vectors, out)
        finally:
            dense.ANN_MIN_ROWS = saved_min
    encoder = load_query_encoder(model)
    graph = dense.DenseSearcher(out, encoder)
    exact = dense.DenseSearcher(out, encoder, use_graph=False)
    overlap = {10: 0.0, 50: 0.0}
    for query in queries.values():
        q = np.asarray(encoder.encode([query])[0], dtype=np.float32)
        for k in overlap:
            truth = {i for i, _ in exact.search_vector(q, k)}
            overlap[k] += len(truth & {i for i, _ in graph.search_vector(q, k)}) / k
    table(
        f"HNSW graph + exact rescoring against the exact scan, real embeddings of the sub-corpus "
        f"({len(eval_index)} premises, {len(queries)} queries)",
        ["k", "share of the exact top k found"],
        [[str(k), f"{v / len(queries):.3f}"] for k, v in overlap.items()],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus", type=Path, default=DATASETS / "premises" / "mathlib_theorems_2c4e038a.jsonl.gz"
    )
    parser.add_argument(
        "--subset", type=int, default=8000, help="premises in the dense sub-corpus (0 = full)"
    )
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument(
        "--document-sample", type=int, default=2000, help="texts timed per build-time encoder (0 = skip)"
    )
    parser.add_argument("--synthetic", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--work-dir", type=Path, default=Path.home() / ".cache" / "prover-bench" / "retrieval"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")

    full_settings = Settings(cache_dir=args.work_dir / "full")
    full_report = build_index(args.corpus, full_settings, dense=args.subset == 0)
    full_index = PremiseIndex(full_report.index_dir)
    names = set(full_index.names)

    truth = ground_truth(names)
    problems = {json.loads(line)["name"]: json.loads(line) for line in
                (DATASETS / "minif2f" / "dspplus_minif2f.jsonl").read_text(encoding="utf-8").splitlines()}  # fmt: skip
    truth = {p: t for p, t in truth.items() if p in problems}
    formal = {p: query_from_statement(problems[p]["formal_statement"]) for p in truth}
    informal_stmt = {p: problems[p]["informal_statement"] for p in truth}
    gt_names = sorted(set().union(*truth.values()))
    print(f"published proofs: {len(truth)} problems, {sum(map(len, truth.values()))} (problem, lemma) pairs, "
          f"{len(gt_names)} distinct lemmas; corpus {len(full_index)} premises")  # fmt: skip

    informal, informal_truth, area = load_informal(names)
    rng = random.Random(args.seed)
    errors: dict[str, str] = {}
    error_truth: dict[str, set[str]] = {}
    for key, (lemma,) in ((k, tuple(t)) for k, t in informal_truth.items()):
        for kind, broken in (("misspelt", misspell(lemma, rng, names)),
                             ("namespace", wrong_namespace(lemma, rng, names))):  # fmt: skip
            errors[f"{key}:{kind}"] = f"unknown identifier '{broken}'"
            error_truth[f"{key}:{kind}"] = {lemma}
    areas = ", ".join(f"{a} {list(area.values()).count(a)}" for a in sorted(set(area.values())))
    print(f"informal set: {len(informal)} queries ({areas}); error set: {len(errors)} queries")

    # ---- dense sub-corpus
    if args.subset:
        premises = load_corpus(args.corpus)
        keep = set(gt_names) | set().union(*informal_truth.values())
        others = sorted(p.name for p in premises if p.name not in keep)
        keep |= set(random.Random(args.seed).sample(others, max(0, args.subset - len(keep))))
        subset_file = args.work_dir / f"subset_{args.subset}_seed{args.seed}.jsonl"
        subset_file.parent.mkdir(parents=True, exist_ok=True)
        if not subset_file.exists():
            write_corpus((p for p in premises if p.name in keep), subset_file)
        eval_settings = Settings(cache_dir=args.work_dir / "subset")
        started, cpu_started = time.perf_counter(), cpu_s()
        eval_report = build_index(subset_file, eval_settings, dense=True)
        print(f"sub-corpus index: {eval_report.premises} premises, built {eval_report.built or 'nothing'} "
              f"(reused {eval_report.reused or 'nothing'}) in {time.perf_counter() - started:.0f} s wall, "
              f"{cpu_s() - cpu_started:.0f} s CPU")  # fmt: skip
    else:
        eval_settings, eval_report = full_settings, full_report
    eval_index = PremiseIndex(eval_report.index_dir)
    model = eval_settings.retrieval.dense_model
    label = "full corpus" if not args.subset else f"sub-corpus ({len(eval_index)})"
    full_bm25 = Bm25Retriever(full_index)
    retrievers = {mode: make_retriever(eval_index, mode, model) for mode in MODES}

    summary: list[list[str]] = []
    header = ["index", "mode", "query", "R@1", "R@10", "R@50", "p50 ms", "p95 ms", "cpu p95 ms"]
    sets = (
        ("informal set", {"informal": (informal, informal_truth)}),
        ("published proofs (macro over problems)", {"formal": (formal, truth), "informal": (informal_stmt, truth)}),
        ("errors (unknown identifier)", {"error": (errors, error_truth)}),
    )  # fmt: skip
    for title, kinds in sets:
        rows = []
        for kind, (queries, answers) in kinds.items():
            if args.subset:
                result = evaluate(full_bm25, queries, answers)
                rows.append(
                    [f"full corpus ({len(full_index)})", "bm25", kind, *(f"{v:.3f}" for v in result.values())]
                )
            measured: dict[str, dict[str, float]] = {}
            for mode, retriever in retrievers.items():
                measured[mode] = evaluate(retriever, queries, answers)
                rows.append([label, mode, kind, *(f"{v:.3f}" for v in measured[mode].values())])
            for k in (10, 50):
                best = max(measured[m][f"R@{k}"] for m in MODES if m != DEFAULT_MODE)
                ok = measured[DEFAULT_MODE][f"R@{k}"] >= best - 1e-9
                summary.append([title, kind, f"R@{k}", f"{measured[DEFAULT_MODE][f'R@{k}']:.3f}", f"{best:.3f}",
                                "yes" if ok else "NO"])  # fmt: skip
        table(f"{title}: recall and warm latency ({label} for dense and hybrid)", header, rows)

    # Per area on the informal set, default mode.
    area_rows = []
    for name in sorted(set(area.values())):
        subset_queries = {k: q for k, q in informal.items() if area[k] == name}
        by_mode = {m: evaluate(retrievers[m], subset_queries, informal_truth) for m in MODES}
        area_rows.append([name, str(len(subset_queries)),
                          *(f"{by_mode[m]['R@10']:.2f}/{by_mode[m]['R@50']:.2f}" for m in MODES)])  # fmt: skip
    table("informal set by area: R@10/R@50", ["area", "queries", *MODES], area_rows)
    table(f"default ({DEFAULT_MODE}) against the best single mode", ["set", "query", "k", "default", "best single",
          "default >= best"], summary)  # fmt: skip

    info = eval_index.info()
    full_info = full_index.info()
    build_rows = [["corpus + bm25 (full)", str(len(full_index)), f"{full_info.build_s:.1f}", "",
                   f"{full_info.size_bytes / 1e6:.1f}"]]  # fmt: skip
    scale = len(full_index) / len(eval_index)
    for d in info.dense:
        meta = json.loads((eval_index.directory / "dense" / d.key / "meta.json").read_text(encoding="utf-8"))
        encode_s = float(meta.get("encode_s", d.build_s))
        detail = ", ".join(f"{k} {meta[k]}" for k in ("load_s", "encode_s", "save_s", "max_tokens",
                                                      "distinct_texts") if k in meta)  # fmt: skip
        build_rows.append([f"dense {d.model} ({'sub-corpus' if args.subset else 'full'})", str(len(eval_index)),
                           f"{d.build_s:.0f}", detail, f"{d.size_bytes / 1e6:.1f}"])  # fmt: skip
        if args.subset:
            build_rows.append([f"dense {d.model} (full, encoding extrapolated linearly)", str(len(full_index)),
                               f"~{encode_s * scale:.0f}", f"{len(eval_index) / encode_s:.1f} texts/s", ""])  # fmt: skip
    table(f"index build (this machine, load average now {os.getloadavg()[0]:.1f})",
          ["index", "premises", "build s", "detail", "size MB"], build_rows)  # fmt: skip

    if args.subset:
        graph_agreement(eval_index, model, {**informal, **formal}, args.work_dir)
    if not args.subset:
        written = {p: statement_text(problems[p]["formal_statement"]) for p in truth}  # binders first
        query_length(eval_index, model, {
            "informal set": (informal, informal_truth), "formal stmt": (formal, truth),
            "formal stmt, as written": (written, truth), "informal stmt": (informal_stmt, truth)})  # fmt: skip
    encoder_latency(model, args.work_dir, informal)
    if args.document_sample:
        from retrieval.text import indexed_text

        texts = [indexed_text(p) for p in full_index.all_premises()]
        document_encoders(model, args.work_dir, texts, args.document_sample, args.seed)
    if args.synthetic:
        synthetic_latency(full_index, model, args.work_dir, informal)

    if args.cold_runs:
        cold_dir = args.work_dir / ("full" if not args.subset else "subset")
        cold = []
        for mode, output, where in (("bm25", "json", args.work_dir / "full"), ("dense", "json", cold_dir),
                                    ("hybrid", "json", cold_dir), ("hybrid", "table", cold_dir)):  # fmt: skip
            seconds = cold_search(where, mode, args.cold_runs, output)
            cold.append([mode, output, "full corpus" if where.name == "full" else label, f"{seconds:.2f}"])
        table(f"cold `prover search` (new process, index built): median of {args.cold_runs} runs",
              ["mode", "--format", "index", "seconds"], cold)  # fmt: skip
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
