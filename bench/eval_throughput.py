"""Eval throughput: ``python bench/eval_throughput.py [--problems 100] [--workers 2] [--delay 0.05]``.

Runs ``prover eval`` (the CLI, in a subprocess, as a user would) over the first N miniF2F statements with a
fixed-latency Lean: the scripted REPL double answering every request after ``--delay`` seconds (mathd_* goals
close with ``norm_num``, everything else fails), no LLM, Z3 off. It reports:

1. problems per minute of the local pool and of Ray (``--ray auto``) at equal total workers (``eval.workers``
   problems in flight, ``lean.workers`` REPLs per pool), and their ratio. "session" is the run's own time
   (``sessions.jsonl``: Ray's in-run cluster start included), "process" adds interpreter start-up;
2. the Lean verdict cache on a resumed run: a run killed with SIGKILL halfway, then ``--resume``d (the cache
   only holds the checks of the problems that were in flight), and a repeated run of the same problems into a
   new run directory (every non-certification check is a hit).

Each run starts with an empty verdict cache unless said otherwise. Numbers vary with machine load; rerun to
see the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prover.eval.results import read_results  # noqa: E402
from tests.fakes.repl_script import Script  # noqa: E402

ACCEPT = [{"severity": "info", "data": "'x' depends on axioms: [propext]", "at": "#print axioms"}]
REJECT = [{"severity": "error", "data": "linarith failed to find a contradiction"}]


def write_config(workdir: Path, delay: float, workers: int) -> None:
    script = Script(default_tactic={"error": "tactic failed"}, delay=delay)
    script.on_cmd(r"theorem mathd_\w+.*:= by\n  norm_num(\s|$)", messages=ACCEPT)
    script.on_cmd(r":= by\n  (?!sorry\b)", messages=REJECT)
    command = ", ".join(json.dumps(part) for part in script.command(workdir))
    (workdir / "prover.toml").write_text(
        f"""cache_dir = {json.dumps(str(workdir / "cache"))}
[lean]
workers = {workers}
timeout_s = 60.0
repl_command = [{command}]
[search]
cascade_tactics = ["norm_num", "linarith", "nlinarith"]
step_max_expansions = 1
lemma_cache = false
[smt]
enabled = false
[eval]
workers = {workers}
""",
        encoding="utf-8",
    )


def prover(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", "-q", *args]


def run(workdir: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(prover(workdir, *args), cwd=workdir, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"prover {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - started


def session(run_dir: Path, index: int = -1) -> dict[str, Any]:
    lines = (run_dir / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    parsed: dict[str, Any] = json.loads(lines[index])
    return parsed


def hit_rate(s: dict[str, Any]) -> str:
    lookups = s["cache_hits"] + s["cache_misses"] + s["cache_shared"]
    rate = (s["cache_hits"] + s["cache_shared"]) / lookups if lookups else 0.0
    return f"{100 * rate:.1f}% ({s['cache_hits'] + s['cache_shared']}/{lookups})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per REPL answer")
    parser.add_argument("--no-ray", action="store_true")
    options = parser.parse_args()
    n, k = options.problems, options.workers
    dataset = ("eval", "minif2f.dspplus", "--limit", str(n))
    rows: list[tuple[str, str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        write_config(workdir, options.delay, k)

        wall = run(workdir, *dataset, "--out", "local", "--no-llm")
        local = session(workdir / "local")
        proved = sum(line.proved for line in read_results(workdir / "local" / "results.jsonl"))
        local_rate = 60 * n / local["wall_s"]
        rows.append(
            ("local pool", f"{local['wall_s']:.1f}", f"{wall:.1f}", f"{local_rate:.1f}", hit_rate(local))
        )

        if not options.no_ray:
            shutil.rmtree(workdir / "cache")  # Ray starts with an empty verdict cache too
            wall = run(workdir, *dataset, "--out", "ray", "--no-llm", "--ray", "auto")
            ray = session(workdir / "ray")
            ray_rate = 60 * n / ray["wall_s"]
            rows.append(("ray auto", f"{ray['wall_s']:.1f}", f"{wall:.1f}", f"{ray_rate:.1f}", hit_rate(ray)))

        # kill -9 halfway, then resume with the verdict cache the killed run filled
        shutil.rmtree(workdir / "cache")
        process = subprocess.Popen(
            prover(workdir, *dataset, "--out", "resumed", "--no-llm"),
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while len(read_results(workdir / "resumed" / "results.jsonl")) < n // 2 and process.poll() is None:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        finished = len(read_results(workdir / "resumed" / "results.jsonl"))
        wall = run(workdir, *dataset, "--out", "resumed", "--no-llm", "--resume")
        resumed = session(workdir / "resumed")
        rows.append(
            (f"resume after kill at {finished}/{n}", f"{resumed['wall_s']:.1f}", f"{wall:.1f}",
             f"{60 * resumed['problems_run'] / resumed['wall_s']:.1f}", hit_rate(resumed))
        )  # fmt: skip

        wall = run(workdir, *dataset, "--out", "repeated", "--no-llm")
        repeated = session(workdir / "repeated")
        rows.append(
            ("repeat (cache full)", f"{repeated['wall_s']:.1f}", f"{wall:.1f}",
             f"{60 * n / repeated['wall_s']:.1f}", hit_rate(repeated))
        )  # fmt: skip

    print(
        f"prover eval over {n} miniF2F statements, {k} workers, Lean double latency {options.delay * 1000:.0f} ms"
    )
    print(
        f"({proved}/{n} proved by the fixed script; certification checks always run fresh and are not counted)"
    )
    header = ("run", "session s", "process s", "problems/min", "verdict cache hit rate")
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(5)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    if not options.no_ray:
        print(f"ray / local throughput ratio (session): {ray_rate / local_rate:.2f}")


if __name__ == "__main__":
    main()
