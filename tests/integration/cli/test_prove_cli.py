"""``prover prove`` as a user runs it (issue 16, points 1, 3, 8, 14, 15): no lost work, no tracebacks,
a table that reads at 80 columns."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from prover.search.prove_file import FileReport
from prover.search.prove_path import plan_prove, write_results
from tests.fakes.repl_script import Script, requests

from .conftest import (
    COLUMNS,
    TWO_THEOREMS,
    one_line_error,
    run_prover,
    two_theorem_script,
    write_config,
)

pytestmark = pytest.mark.timeout(150)


def lean_file(workdir: Path, text: str = TWO_THEOREMS, name: str = "two.lean") -> Path:
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return path


def proof_requests(workdir: Path) -> list[dict[str, object]]:
    return [r for r in requests(workdir) if ":= by" in str(r.get("cmd", ""))]


# ------------------------------------------------------------------------------ 1. outputs checked first
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--out", "outdir"], "is a directory"),
        (["--out", "/nonexistent/x.lean"], "does not exist"),
        (["--trace", "existing.txt"], "not a directory"),
        (["--out", "a.lean", "--in-place"], "not both"),
    ],
)
def test_bad_output_path_fails_before_any_search(workdir: Path, args: list[str], expected: str) -> None:
    lean_file(workdir)
    (workdir / "outdir").mkdir()
    (workdir / "existing.txt").write_text("keep me\n")
    write_config(workdir, two_theorem_script().command(workdir))
    done = run_prover(workdir, "prove", "two.lean", "--no-llm", *args)
    assert done.returncode == 2, done.stderr
    assert expected in one_line_error(done)
    assert proof_requests(workdir) == []  # no Lean work was started
    assert (workdir / "existing.txt").read_text() == "keep me\n"


def test_show_checks_its_outputs_before_rendering(workdir: Path) -> None:
    (workdir / "html").mkdir()
    trace = workdir / "t.trace.json"
    trace.write_text("{}", encoding="utf-8")
    done = run_prover(workdir, "show", str(trace), "--html", "html")
    assert done.returncode == 2
    assert "is a directory" in one_line_error(done)


def test_a_write_that_fails_at_the_end_saves_the_results_beside_the_input(workdir: Path) -> None:
    source = lean_file(workdir)
    (workdir / "out").mkdir()
    plan = plan_prove(source, out=workdir / "out" / "two.proved.lean", trace_dir=workdir / "out" / "traces")
    (workdir / "out").rmdir()  # gone while the search ran
    report = FileReport(source=str(source), original=TWO_THEOREMS, text="-- proved\n", theorems=())
    run = write_results(plan, report)
    assert run.written is None and run.rescued is not None
    assert run.rescued.parent == workdir
    assert (run.rescued / "two.lean").read_text(encoding="utf-8") == "-- proved\n"
    assert "does not exist" in run.write_error or "No such file" in run.write_error


# ------------------------------------------------------------------------------ 3. broken Lean command
def test_a_lean_command_that_dies_at_once_is_a_missing_dependency(workdir: Path) -> None:
    lean_file(workdir)
    write_config(workdir, ["/bin/false"])
    done = run_prover(workdir, "prove", "two.lean", "--no-llm")
    assert done.returncode == 3, done.stdout + done.stderr
    line = one_line_error(done)
    assert "/bin/false" in line and "exited at once" in line
    assert "not proved" not in done.stdout


# ------------------------------------------------------------------------------ 8, 14, 15. the table
def test_table_reads_at_80_columns_and_says_nothing_was_written(workdir: Path) -> None:
    lean_file(workdir)
    write_config(workdir, two_theorem_script().command(workdir))
    done = run_prover(workdir, "prove", "two.lean", "--no-llm")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= COLUMNS, done.stdout
    rows = [line for line in lines if line.startswith("│")]
    assert any("easy_one" in row and "proved" in row for row in rows)
    assert any("hard_one_with_a_rather_long_name" in row for row in rows)  # names are never split
    assert len(rows) == 2  # one line per theorem, however long Lean's message
    assert "nothing written (give --out FILE or --in-place)" in done.stdout


def test_verbose_adds_full_reasons_and_json_has_them(workdir: Path) -> None:
    lean_file(workdir)
    write_config(workdir, two_theorem_script().command(workdir))
    done = run_prover(workdir, "prove", "two.lean", "--no-llm", "--format", "json", "--trace", "traces")
    report = json.loads(done.stdout)
    hard = next(t for t in report["theorems"] if t["name"].startswith("hard_one"))
    assert hard["status"] == "not_proved" and hard["reason"]
    easy = next(t for t in report["theorems"] if t["name"] == "easy_one")
    # certification's fresh whole-file check is a Lean check too (it was left out of the count)
    certification_checks = [r for r in proof_requests(workdir) if "#print axioms easy_one" in str(r["cmd"])]
    assert len(certification_checks) == 1
    trace = json.loads((workdir / "traces" / "easy_one.trace.json").read_text(encoding="utf-8"))
    search_checks = sum(node["attempt"]["lean_checks"] for node in trace["nodes"] if node["attempt"])
    assert easy["lean_checks"] == search_checks + 1

    verbose = run_prover(workdir, "-v", "prove", "two.lean", "--no-llm")
    assert "Lean checks" in verbose.stdout and "  reason: " in verbose.stdout
    assert max(len(line) for line in verbose.stdout.splitlines() if line.startswith(("┃", "│"))) <= 80


def test_quiet_prints_no_table(workdir: Path) -> None:
    lean_file(workdir)
    write_config(workdir, two_theorem_script().command(workdir))
    done = run_prover(workdir, "-q", "prove", "two.lean", "--no-llm")
    assert done.returncode == 1
    assert done.stdout == ""


def test_written_files_respect_the_umask_and_the_inputs_mode(workdir: Path) -> None:
    source = lean_file(workdir)
    os.chmod(source, 0o640)
    write_config(workdir, two_theorem_script().command(workdir))
    done = run_prover(workdir, "prove", "two.lean", "--no-llm", "--out", "new.lean")
    assert done.returncode == 1, done.stderr
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((workdir / "new.lean").stat().st_mode) == 0o666 & ~umask
    done = run_prover(workdir, "prove", "two.lean", "--no-llm", "--in-place")
    assert done.returncode == 1, done.stderr
    assert stat.S_IMODE(source.stat().st_mode) == 0o640
    assert stat.S_IMODE((workdir / "two.lean.bak").stat().st_mode) == 0o640
    assert "wrote two.lean (backup two.lean.bak)" in done.stdout


# ------------------------------------------------------------------------------ 15. messages
def test_missing_theorem_lists_the_ones_that_exist(workdir: Path) -> None:
    lean_file(workdir)
    write_config(workdir, Script().command(workdir))
    done = run_prover(workdir, "prove", "two.lean", "--theorem", "nope")
    assert done.returncode == 2
    line = one_line_error(done)
    assert "no theorem named nope" in line and "easy_one, hard_one_with_a_rather_long_name" in line


def test_a_file_without_theorems_says_so(workdir: Path) -> None:
    lean_file(workdir, "import Mathlib\n\ndef f : ℕ := 1\n", name="defs.lean")
    write_config(workdir, Script().command(workdir))
    done = run_prover(workdir, "prove", "defs.lean")
    assert done.returncode == 2
    line = one_line_error(done)
    assert "no theorems found" in line and "--theorem" not in line


def test_in_place_on_a_read_only_file_fails_before_any_search(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prover.search.output as output
    from prover.errors import InputError

    source = lean_file(workdir)
    # Root may write anywhere, so the test answers os.access as an ordinary user's read-only file would.
    monkeypatch.setattr(output.os, "access", lambda path, mode: Path(path) != source)
    with pytest.raises(InputError, match="--in-place: file is not writable"):
        plan_prove(source, in_place=True)
    assert plan_prove(source, in_place=False).theorems == ("easy_one", "hard_one_with_a_rather_long_name")
