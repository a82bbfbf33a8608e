"""`prover audit FILE|DATASET.jsonl [--format table|json]`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app

LEAN_FILE = """import Mathlib

theorem fine (x y : ℤ) (h₀ : 0 < y) (h₁ : y < x) (h₂ : x + y + x * y = 80) : x = 26 := by sorry

/-- misformalized: truncating subtraction -/
theorem wrong (a : ℕ) (h : a < 5) : a - 3 + 3 = a := by sorry

theorem empty (x : ℝ) (h₀ : x > 2) (h₁ : x < 1) : x = 100 := by sorry

theorem polynomial_one (p : Polynomial ℝ) : p = p := by sorry
"""


def test_audit_json_reports_each_theorem(tmp_path: Path) -> None:
    source = tmp_path / "statements.lean"
    source.write_text(LEAN_FILE, encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(source), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["fine"]["status"] == "valid"
    assert rows["wrong"]["status"] == "refuted" and rows["wrong"]["evidence"].startswith(
        "counterexample: a = "
    )
    assert rows["empty"]["status"] == "vacuous" and "h₀, h₁" in rows["empty"]["evidence"]
    assert rows["polynomial_one"]["status"] == "unsupported"
    assert all(row["elapsed_s"] >= 0 for row in rows.values())


def test_audit_reads_a_dataset_jsonl(tmp_path: Path) -> None:
    source = tmp_path / "set.jsonl"
    rows = [
        {"name": "p1", "split": "test", "formal_statement": "theorem p1 : (7 : ℤ) / (-2) = -3 := by\n"},
        {"name": "p2", "split": "test", "formal_statement": "theorem p2 (n : ℕ) : n - 1 < n := by\n"},
    ]
    source.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(source)])
    assert result.exit_code == 0, result.output
    assert "p1" in result.stdout and "refuted" in result.stdout and "n = 0" in result.stdout


def test_audit_bad_input_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["audit", str(tmp_path / "missing.lean")]).exit_code == 2
    source = tmp_path / "x.lean"
    source.write_text("theorem a : 1 = 1 := rfl\n", encoding="utf-8")
    assert runner.invoke(app, ["audit", str(source), "--format", "xml"]).exit_code == 2
    notes = tmp_path / "notes.txt"
    notes.write_text("theorem a : 1 = 1\n", encoding="utf-8")
    assert runner.invoke(app, ["audit", str(notes)]).exit_code == 2
