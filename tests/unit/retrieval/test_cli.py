"""``prover search`` and ``prover index build|info`` through typer's CliRunner."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

from .conftest import ROWS, write_jsonl


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache dir of its own, no prover.toml in the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROVER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROVER_RETRIEVAL__INDEX_DIR", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_build_then_search_json(env: Path, corpus_file: Path) -> None:
    code, out = run("index", "build", "--corpus", str(corpus_file), "--no-dense")
    assert code == 0 and "built corpus, bm25" in out
    # Without a terminal (a log, CI) each stage still reports progress as plain lines.
    assert "tokenizing: 0/9" in out and "tokenizing: 9/9" in out and "bm25 index: 1/1" in out
    code, out = run("index", "build", "--corpus", str(corpus_file), "--no-dense")
    assert code == 0 and "nothing (index up to date)" in out
    code, out = run("search", "√a < √b", "-k", "2", "--mode", "bm25", "--format", "json")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 2 and set(hits[0]) == {"name", "score", "signature"}
    assert hits[0]["name"] == "Real.sqrt_lt_sqrt"


def test_search_an_error_message_and_a_name(env: Path, corpus_file: Path) -> None:
    run("index", "build", "--corpus", str(corpus_file), "--no-dense")
    code, out = run(
        "search", "unknown identifier 'Finset.sum_range_sux'", "--mode", "bm25", "--format", "json"
    )
    assert code == 0 and json.loads(out)[0]["name"] == "Finset.sum_range_succ"
    code, out = run("search", "Real.sqrt_lt", "--name", "--mode", "bm25", "-k", "3")
    assert code == 0 and "Real.sqrt_lt_sqrt" in out


@pytest.mark.parametrize("content", ["", "not json\n", '{"signature": "no name"}\n'])
def test_empty_or_corrupt_corpus_exits_2(env: Path, content: str) -> None:
    bad = env / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    code, out = run("index", "build", "--corpus", str(bad), "--no-dense")
    assert code == 2 and "bad.jsonl" in out and "Traceback" not in out


def test_missing_corpus_file_exits_2(env: Path) -> None:
    code, out = run("index", "build", "--corpus", str(env / "nope.jsonl"), "--no-dense")
    assert code == 2 and "not found" in out


def test_search_before_build_says_how_to_fix(env: Path) -> None:
    code, out = run("search", "anything", "--mode", "bm25")
    assert code == 2 and "prover index build" in out  # bad input: build first (README)


def test_bad_mode_and_format_exit_2(env: Path, corpus_file: Path) -> None:
    run("index", "build", "--corpus", str(corpus_file), "--no-dense")
    assert run("search", "x", "--mode", "magic")[0] == 2
    assert run("search", "x", "--format", "xml")[0] == 2


def test_info_reports_the_current_index(env: Path, corpus_file: Path) -> None:
    run("index", "build", "--corpus", str(corpus_file), "--no-dense")
    code, out = run("index", "info", "--format", "json")
    info = json.loads(out)
    assert code == 0 and info["premises"] == len(ROWS) - 2 and info["dense"] == []
    assert info["corpus_path"] == str(corpus_file.resolve())


def test_build_without_lean_exits_3(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(env / "empty-bin"))
    code, out = run("index", "build", "--no-dense")
    assert code == 3 and "lake" in out


def test_build_without_corpus_dumps_through_lean(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in ``lake`` prints what the Lean dump program prints; the real one needs Mathlib."""
    dump_rows = [
        {"name": "Nat.succ_le_of_lt", "signature": "∀ {n m : ℕ}, n < m → n.succ ≤ m", "module": "Init.Prelude",
         "doc": "", "private": False, "deprecated": False, "simp": False},
        {"name": "Real.sqrt_nonneg", "signature": "∀ (x : ℝ), 0 ≤ √x", "module": "Mathlib.Analysis.SpecialFunctions.Sqrt",
         "doc": "", "private": False, "deprecated": False, "simp": True},
        {"name": "_private.Foo.0.bar", "signature": "True", "module": "Mathlib.Foo",
         "doc": "", "private": True, "deprecated": False, "simp": False},
    ]  # fmt: skip
    bin_dir, project = env / "bin", env / "project"
    bin_dir.mkdir()
    project.mkdir()
    (project / "lakefile.toml").write_text('name = "p"\n', encoding="utf-8")
    lines = write_jsonl(env / "dump.jsonl", dump_rows)
    lake = bin_dir / "lake"
    lake.write_text(
        f'#!/bin/sh\n[ "$1 $2 $3" = "env lean --run" ] || exit 9\n[ "$PWD" = "{project}" ] || exit 8\n'
        f'cat "{lines}"\necho "dump_premises: 3 theorems" >&2\n',
        encoding="utf-8",
    )
    lake.chmod(lake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PROVER_LEAN__PROJECT_DIR", str(project))
    code, out = run("index", "build", "--no-dense")
    assert code == 0, out
    code, out = run("search", "sqrt nonneg", "--mode", "bm25", "--format", "json")
    assert [h["name"] for h in json.loads(out)] == ["Real.sqrt_nonneg"]


def test_failing_lean_dump_is_reported(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, project = env / "bin", env / "project"
    bin_dir.mkdir()
    project.mkdir()
    (project / "lakefile.lean").write_text("", encoding="utf-8")
    lake = bin_dir / "lake"
    lake.write_text("#!/bin/sh\necho 'unknown package Mathlib' >&2\nexit 1\n", encoding="utf-8")
    lake.chmod(lake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PROVER_LEAN__PROJECT_DIR", str(project))
    code, out = run("index", "build", "--no-dense")
    assert code == 1 and "unknown package Mathlib" in out
