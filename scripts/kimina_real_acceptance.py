"""The Kimina backend against the published Kimina Lean Server (2.1.3), the REPL double behind it (issue 15).

Run (after ``bash scripts/kimina_real_server.sh setup DIR`` once, which needs PyPI):

    .venv/bin/python scripts/kimina_real_acceptance.py [--dir DIR] [--port 8766]

It starts the real server with 2 REPLs (``LEAN_SERVER_MAX_REPLS=2``) running ``tests/fakes/repl_double.py``
with one rules file, and prints one table per check:

1. positions: ``prover check FILE`` through the REPL backend (the double as the REPL) and through the
   Kimina backend (``lean.kimina_lines`` auto, both endpoints, and the old default ``file`` forced): the
   printed lines must be identical, except for the forced ``file`` row;
2. queueing: 24 snippets of 2.5 s each (a rule of the double sleeps), timeout 3 s, batch size 8, against the
   2-REPL server: verdict counts, false timeouts (must be 0), the backend's retry counters, wall time;
3. the official ``kimina-client`` 0.2.1 (``KiminaClient.health`` and ``.check``) against the real server
   and against ``tests/fakes/kimina_server.py``: the same answers, times and REPL ids aside;
4. backpressure: the server restarted with ``LEAN_SERVER_MAX_WAIT=1`` answers "No available REPLs" to
   snippets it cannot place; they must be re-sent (counted) and all end valid.

Exit status 0 when every check holds, 1 otherwise. A "valid" here is the REPL double's, not Lean's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prover.errors import LeanUnavailable  # noqa: E402
from prover.lean.kimina import KiminaBackend  # noqa: E402
from prover.settings import LeanSettings  # noqa: E402
from prover.types import Verdict  # noqa: E402
from tests.fakes.kimina_server import KiminaFakeServer  # noqa: E402

SOURCE = """import Mathlib

open Real

/-- 𝓝 is outside the BMP: VS Code counts it as two columns. -/
theorem t (x : ℝ) : 0 ≤ x ^ 2 := by
  have h𝓝 := sq_nonneg x; nlinarith [h𝓝]

theorem u : (1 : ℕ) = 1 := by
  sorry
"""
RULES = {
    "profile": "v4.15",
    "rules": [
        {
            "cmd": "nlinarith",
            "messages": [{"severity": "error", "data": "linarith failed", "at": "nlinarith"}],
        },
        {"cmd": r"theorem q\d+", "delay": 2.5},
    ],
}
QUEUED = [f"import Mathlib\n\ntheorem q{i} : {i} + 0 = {i} := rfl" for i in range(24)]
CLIENT_SNIPPETS = [
    "import Mathlib\n\ntheorem a : True := trivial",
    "import Mathlib\n\ntheorem b : (1 : ℕ) = 1 := by\n  sorry",
    "import Mathlib\n\ntheorem c (x : ℝ) : 0 ≤ x ^ 2 := by nlinarith [sq_nonneg x]",
]
OFFICIAL_CLIENT = """
import json, sys
from kimina_client import KiminaClient
client = KiminaClient(api_url=sys.argv[1], n_retries=1)
health = client.health()
answer = client.check(json.loads(sys.argv[2]), timeout=10, show_progress=False)
print(json.dumps({"health": health, "results": [r.model_dump(exclude_none=True) for r in answer.results]}))
"""


def start_server(
    setup_dir: Path, port: int, rules: Path, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    command = ["bash", str(REPO / "scripts/kimina_real_server.sh"), "run", str(setup_dir), str(port), "2"]
    server = subprocess.Popen(
        [*command, "--rules", str(rules)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the Kimina server exited with {server.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"the Kimina server did not answer /health within 90 s; see {log}")


def prover_check(path: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run(
        [str(REPO / ".venv/bin/prover"), "check", str(path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
    )
    return done.returncode, done.stdout.splitlines()


def positions(url: str, rules: Path, work: Path) -> bool:
    path = work / "error.lean"
    path.write_text(SOURCE, encoding="utf-8")
    double = [
        sys.executable,
        str(REPO / "tests/fakes/repl_double.py"),
        "--mode",
        "scripted",
        "--rules",
        str(rules),
    ]
    kimina = {"PROVER_LEAN__BACKEND": "kimina", "PROVER_LEAN__KIMINA_URL": url}
    rows = {
        "repl backend (double)": {
            "PROVER_LEAN__BACKEND": "repl",
            "PROVER_LEAN__REPL_COMMAND": json.dumps(double),
        },
        "kimina /api/check, lines auto": kimina,
        "kimina /verify, lines auto": {**kimina, "PROVER_LEAN__KIMINA_ENDPOINT": "verify"},
        "kimina, lines=file forced (old default)": {**kimina, "PROVER_LEAN__KIMINA_LINES": "file"},
    }
    outputs = {name: prover_check(path, env) for name, env in rows.items()}
    reference = outputs["repl backend (double)"]
    print("\n== 1. prover check: positions through each backend")
    for name, (code, lines) in outputs.items():
        same = "same" if (code, lines) == reference else "DIFFERENT"
        print(f"{name:<42} exit {code}  {same:<9} {' | '.join(lines)}")
    return all(outputs[name] == reference for name in list(rows)[:3]) and bool(reference[1])


async def queueing(url: str) -> bool:
    print("\n== 2. queueing: 24 snippets x 2.5 s, timeout 3 s, batch 8, server with 2 REPLs")
    print(
        f"{'kimina_server_repls':<20} {'verdicts':<28} {'false timeouts':>14} {'busy':>5} {'waits':>6} {'wall s':>7}"
    )
    held = True
    for repls in (2, 8, 24):
        lean = LeanSettings(
            backend="kimina", kimina_url=url, timeout_s=3, kimina_batch_size=8, kimina_server_repls=repls
        )
        backend = KiminaBackend(lean)
        started = time.monotonic()
        try:
            results = await backend.check_many(QUEUED)
            counts = Counter(r.verdict.value for r in results)
            false = counts.get(Verdict.timeout.value, 0)
            verdicts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        except LeanUnavailable as error:  # honest about the server being overloaded: not a verdict
            false, verdicts = 0, f"LeanUnavailable: {error.message[:40]}"
        finally:
            await backend.close()
        stats = backend.stats
        wall = time.monotonic() - started
        print(
            f"{repls:<20} {verdicts:<28} {false:>14} {stats.busy_retries:>5} {stats.client_wait_retries:>6} {wall:>7.1f}"
        )
        held = held and false == 0
        if repls == 2:
            held = held and verdicts == "valid 24"
    return held


async def backpressure(url: str) -> bool:
    """A server that gives up waiting for a REPL after 1 s answers "No available REPLs" (HTTP 200)."""
    print("\n== 4. backpressure: LEAN_SERVER_MAX_WAIT=1, 8 snippets x 2.5 s sent at once to 2 REPLs")
    lean = LeanSettings(
        backend="kimina", kimina_url=url, timeout_s=3, kimina_batch_size=8, kimina_server_repls=8
    )
    backend = KiminaBackend(lean)
    started = time.monotonic()
    try:
        results = await backend.check_many(QUEUED[:8])
    finally:
        await backend.close()
    counts = Counter(r.verdict.value for r in results)
    stats = backend.stats
    print(
        f"verdicts {dict(counts)}; busy retries {stats.busy_retries}; in flight now {stats.capacity}; "
        f"wall {time.monotonic() - started:.1f} s"
    )
    return counts == Counter({"valid": 8}) and stats.busy_retries > 0


def official_client(setup_dir: Path, url: str) -> dict[str, Any]:
    python = setup_dir / "venv/bin/python"
    env = {**os.environ, "PYTHONPATH": f"{setup_dir / 'official-client'}{os.pathsep}{setup_dir / 'stub'}"}
    done = subprocess.run(
        [str(python), "-c", OFFICIAL_CLIENT, url, json.dumps(CLIENT_SNIPPETS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1:]}
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for result in answer["results"]:  # what differs by run: time, REPL ids, env numbers
        result.pop("time", None)
        result.pop("diagnostics", None)
        result.pop("id", None)
        if isinstance(result.get("response"), dict):
            result["response"].pop("env", None)
    return answer


def clients(setup_dir: Path, url: str, rules: Path) -> bool:
    print("\n== 3. the official kimina-client 0.2.1: real server vs the fake")
    with KiminaFakeServer() as fake:
        fake._lean.rules = list(RULES["rules"])  # the same double rules as behind the real server
        from_fake = official_client(setup_dir, fake.url)
    from_real = official_client(setup_dir, url)
    for name, answer in (("real 2.1.3", from_real), ("fake", from_fake)):
        print(f"{name:<11} {json.dumps(answer, ensure_ascii=False)[:300]}")
    same = from_real == from_fake and "failed" not in from_real
    print("identical" if same else "DIFFERENT")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path.home() / ".cache/prover/kimina-real")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not (args.dir / "venv/bin/kimina-ast-server").exists():
        raise SystemExit(f"run first: bash scripts/kimina_real_server.sh setup {args.dir}")
    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="kimina-acceptance-") as tmp:
        work = Path(tmp)
        rules = work / "rules.json"
        rules.write_text(json.dumps(RULES), encoding="utf-8")
        server = start_server(args.dir, args.port, rules, work / "server.log")
        try:
            held = [positions(url, rules, work), asyncio.run(queueing(url)), clients(args.dir, url, rules)]
        finally:
            server.terminate()
            server.wait(timeout=30)
        server = start_server(args.dir, args.port, rules, work / "server2.log", {"LEAN_SERVER_MAX_WAIT": "1"})
        try:
            held.append(asyncio.run(backpressure(url)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("\nall checks hold" if all(held) else f"\nFAILED: {held}")
    sys.exit(0 if all(held) else 1)


if __name__ == "__main__":
    main()
