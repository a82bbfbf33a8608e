"""`prover eval --ray auto` with 2 workers gives the same results as the local pool (order aside).

Marked slow: starting a local Ray cluster and its workers takes ~30-45 s on a loaded 2-core machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.eval.results import read_results
from tests.fakes.openai_server import FakeOpenAI
from tests.integration.eval.conftest import eval_script, run_prover, write_config

pytest.importorskip("ray")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

ARGS = ("eval", "minif2f.dspplus", "--limit", "20", "--workers", "2")


def test_ray_gives_the_same_results_as_the_local_pool(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    write_config(tmp_path, eval_script(), fake_llm)
    local = run_prover(tmp_path, *ARGS, "--out", "runs/local")
    assert local.returncode == 0, local.stderr
    ray = run_prover(tmp_path, *ARGS, "--out", "runs/ray", "--ray", "auto", timeout=360)
    assert ray.returncode == 0, ray.stderr

    def outcomes(run: str) -> dict[str, object]:
        keep = {"status", "proof", "strategy", "depth", "llm_calls", "tokens", "lean_checks", "failure_kinds"}
        return {
            line.name: line.model_dump(include=keep)
            for line in read_results(tmp_path / "runs" / run / "results.jsonl")
        }

    assert outcomes("ray") == outcomes("local") and len(outcomes("ray")) == 20
    workers = {line.worker for line in read_results(tmp_path / "runs" / "ray" / "results.jsonl")}
    assert all(worker.startswith("ray:") for worker in workers)
    session = json.loads((tmp_path / "runs" / "ray" / "sessions.jsonl").read_text())
    assert session["backend"] == "ray" and session["cache_hits"] > 0  # the local run filled the verdict cache
