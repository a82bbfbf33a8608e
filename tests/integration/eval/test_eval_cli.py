"""`prover eval` as a user runs it: 20 real miniF2F statements, the scripted REPL double, the fake LLM server.

Kill and resume: a run killed with SIGKILL in the middle and resumed loses no problem, writes none twice, and
ends with the same summary as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from prover.eval.results import read_results
from tests.fakes.openai_server import FakeOpenAI
from tests.integration.eval.conftest import DIRECT_NAME, eval_script, run_prover, write_config

pytestmark = pytest.mark.timeout(280)

DATASET = ("eval", "minif2f.dspplus", "--limit", "20")


def comparable(run_dir: Path) -> dict[str, Any]:
    """What must not depend on being interrupted: per-problem outcomes and the summary's counts."""
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    lines = {
        line.name: line.model_dump(
            include={"status", "strategy", "depth", "llm_calls", "lean_checks", "proof"}
        )
        for line in read_results(run_dir / "results.jsonl")
    }
    keep = ("planned", "finished", "overall", "statuses", "by_category", "by_strategy", "failure_kinds")
    budget = {k: summary["budget"][k] for k in ("llm_calls", "tokens", "lean_checks")}
    return {"lines": lines, "budget": budget, **{k: summary[k] for k in keep}}


def test_kill_and_resume_loses_nothing_and_repeats_nothing(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    for workdir in (whole, killed):
        workdir.mkdir()
        write_config(workdir, eval_script(delay=0.03), fake_llm, workers=1)

    done = run_prover(whole, *DATASET, "--out", "runs/a")
    assert done.returncode == 0, done.stderr
    reference = comparable(whole / "runs" / "a")
    assert reference["finished"] == 20 and 0 < reference["overall"]["proved"] < 20
    assert reference["lines"][DIRECT_NAME]["status"] == "proved"
    assert reference["by_strategy"].get("direct") == 1 and reference["by_strategy"].get("symbolic", 0) >= 1

    run_dir = killed / "runs" / "a"
    process = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", *DATASET, "--out", "runs/a"],
        cwd=killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its REPL children die with it
    )
    deadline = time.monotonic() + 180
    while len(read_results(run_dir / "results.jsonl")) < 4 and process.poll() is None:
        assert time.monotonic() < deadline, "the run wrote no results"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    before = [line.name for line in read_results(run_dir / "results.jsonl")]
    assert 4 <= len(before) < 20, "the run was not killed in the middle"

    refused = run_prover(killed, *DATASET, "--out", "runs/a")
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = run_prover(killed, *DATASET, "--out", "runs/a", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    after = [line.name for line in read_results(run_dir / "results.jsonl")]
    assert after[: len(before)] == before  # nothing rewritten
    assert len(after) == len(set(after)) == 20  # nothing lost, nothing twice
    assert not set(after[len(before) :]) & set(before)  # the finished ones did not run again
    assert comparable(run_dir) == reference

    sessions = [json.loads(s) for s in (run_dir / "sessions.jsonl").read_text().splitlines()]
    assert [s["problems_run"] for s in sessions] == [
        20 - len(before)
    ]  # the killed session never got to write


def test_report_md_and_png_and_comparison(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    write_config(tmp_path, eval_script(), fake_llm)
    first = run_prover(tmp_path, *DATASET, "--out", "runs/a", "--audit")
    assert first.returncode == 0, first.stderr
    run_dir = tmp_path / "runs" / "a"
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    proved, total = summary["overall"]["proved"], summary["overall"]["total"]
    assert f"**Pass rate: {proved}/{total} = " in report and "Wilson 95%" in report
    for heading in ("## By category", "## By winning strategy", "## Budget spent", "## Lean verdict cache"):
        assert heading in report
    assert "![pass rate versus budget](pass_rate.png)" in report
    assert (run_dir / "pass_rate.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert summary["audited"] is True

    # The same problems without a model: the direct proof is lost, the comparison says so.
    second = run_prover(tmp_path, *DATASET, "--out", "runs/b", "--no-llm")
    assert second.returncode == 0, second.stderr
    compared = run_prover(tmp_path, "report", "runs/a", "runs/b")
    assert compared.returncode == 0, compared.stderr
    assert DIRECT_NAME in compared.stdout.split("only A")[1].split("only B")[0]

    again = run_prover(tmp_path, "report", "runs/a")
    assert again.returncode == 0 and json.loads((run_dir / "summary.json").read_text()) == summary
    assert run_prover(tmp_path, "report", "runs").returncode == 2


def test_resume_with_other_settings_is_refused_unless_forced(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    write_config(tmp_path, eval_script(), fake_llm)
    args = ("eval", "minif2f.dspplus", "--problems", "mathd_algebra_182,mathd_numbertheory_780", "--out", "r")
    assert run_prover(tmp_path, *args).returncode == 0
    other = run_prover(tmp_path, *args, "--resume", "--budget-calls", "7")
    assert other.returncode == 2 and "search.max_llm_calls" in other.stderr
    forced = run_prover(tmp_path, *args, "--resume", "--budget-calls", "7", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(read_results(tmp_path / "r" / "results.jsonl")) == 2  # nothing ran twice


def test_bad_inputs_exit_2(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    write_config(tmp_path, eval_script(), fake_llm)
    for args in (
        ["eval", "minif2f.nosuch", "--out", "r"],
        ["eval", "minif2f", "--problems", "not_a_problem", "--out", "r"],
        ["eval", "minif2f", "--split", "nosplit", "--out", "r"],
        ["eval", "minif2f", "--file", "missing.jsonl", "--out", "r"],
        ["eval", "minif2f", "--proofs", "missing.jsonl"],
    ):
        result = run_prover(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_published_proofs_are_certified_statically_and_data_commands(
    tmp_path: Path, datasets_dir: Path
) -> None:
    proofs = datasets_dir / "minif2f-proofs" / "kimina_prover_minif2f_test.jsonl"
    result = run_prover(tmp_path, "eval", "minif2f", "--proofs", str(proofs))
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert "static checks only: Lean checked nothing" in last and "rejected" in last
    assert "native_decide" in result.stdout and "amc12a_2020_p4" in result.stdout

    listed = run_prover(tmp_path, "data", "list")
    assert listed.returncode == 0 and "minif2f.goedel_v2_test" in listed.stdout
    shown = run_prover(tmp_path, "data", "show", "minif2f")
    assert shown.returncode == 0 and "splits: valid: 244, test: 244" in shown.stdout
    assert run_prover(tmp_path, "data", "show", "minif2f.nope").returncode == 2


def test_a_missing_lean_is_one_line_on_its_own_exit_3(tmp_path: Path) -> None:
    """The live progress line is gone before the error: stderr is exactly the one error line."""
    (tmp_path / "prover.toml").write_text(
        f'cache_dir = {json.dumps(str(tmp_path / "cache"))}\n\n[lean]\nrepl_command = ["lake-that-is-absent"]\n',
        encoding="utf-8",
    )
    done = run_prover(tmp_path, "eval", "minif2f.dspplus", "--limit", "1", "--no-llm", "--out", "runs/a")
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), repr(done.stderr)
    assert "lake-that-is-absent" in done.stderr
