"""The problem matcher of the generated tasks.json reads real `prover check`, `prover prove --at` and
`prover audit --format vscode` output: file, line, column, severity and message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.repl_script import Script, error
from tests.integration.eval.conftest import run_prover, write_config
from tests.integration.search.conftest import accept, rejecting

pytestmark = pytest.mark.timeout(120)

SOURCE = """import Mathlib

theorem easy (x : ℕ) (h : x = 2) : x + 1 = 3 := by
  omega

theorem wrong (x : ℕ) (h₀ : x < 3) : x = 7 := by
  sorry

theorem hard (a b : ℝ) (h : 0 < a) : a * b ≤ a * b + 1 := by
  sorry
"""


def matcher(workdir: Path, label: str) -> tuple[re.Pattern[str], dict[str, int]]:
    tasks = json.loads((workdir / ".vscode" / "tasks.json").read_text(encoding="utf-8"))["tasks"]
    pattern = next(t for t in tasks if t["label"] == label)["problemMatcher"]["pattern"]
    return re.compile(pattern["regexp"]), {k: v for k, v in pattern.items() if k != "regexp"}


def problems(output: str, workdir: Path, label: str) -> list[dict[str, str]]:
    """What VS Code's Problems panel would show for ``output`` (every line must match)."""
    regex, groups = matcher(workdir, label)
    found = []
    for line in output.strip().splitlines():
        match = regex.match(line)
        assert match, f"{label}: the problem matcher does not read {line!r}"
        found.append({key: match.group(index) for key, index in groups.items()})
    return found


def test_problem_matcher_reads_check_prove_and_audit_output(tmp_path: Path) -> None:
    (tmp_path / "demo.lean").write_text(SOURCE, encoding="utf-8")
    script = Script(default_tactic={"error": "tactic failed"})
    script.on_cmd(r"theorem hard\b.*:= by\n  nlinarith(\s|$)", messages=accept("hard"))
    # only `prover check` sends the whole file (with `wrong` in it); certification leaves out sorry theorems
    script.on_cmd(r"  omega\n\ntheorem wrong", messages=[error("omega could not prove the goal", at="omega")])
    rejecting(script)
    with FakeOpenAI() as fake:
        write_config(tmp_path, script, fake)
    init = run_prover(tmp_path, "vscode", "init", ".")
    assert init.returncode == 0 and "prover: audit current file" in init.stdout, init.stderr

    check = run_prover(tmp_path, "check", "demo.lean", "--format", "vscode")
    assert check.returncode == 1, check.stderr
    found = problems(check.stdout, tmp_path, "prover: check current file")
    omega = next(p for p in found if "omega" in p["message"])
    assert omega == {
        "file": "demo.lean", "line": "4", "column": "3", "endLine": "4", "endColumn": "8",
        "severity": "error", "message": "omega could not prove the goal",
    }  # fmt: skip

    prove = run_prover(tmp_path, "prove", "demo.lean", "--at", "10", "--no-llm", "--format", "vscode")
    assert prove.returncode == 0, prove.stderr  # the one theorem at line 10 (`hard`) was proved
    found = problems(prove.stdout, tmp_path, "prover: prove theorem at cursor")
    assert len(found) == 1
    assert (found[0]["file"], found[0]["line"], found[0]["column"]) == ("demo.lean", "9", "1")
    assert found[0]["severity"] == "info" and found[0]["message"].startswith("hard")

    (tmp_path / "z3.toml").write_text("", encoding="utf-8")  # the search config above turns Z3 off
    audit = run_prover(tmp_path, "--config", "z3.toml", "audit", "demo.lean", "--format", "vscode")
    assert audit.returncode == 0, audit.stderr
    found = {
        p["message"].split("`")[1]: p for p in problems(audit.stdout, tmp_path, "prover: audit current file")
    }
    assert set(found) == {"easy", "wrong", "hard"}
    refuted = found["wrong"]
    assert (refuted["file"], refuted["line"], refuted["column"], refuted["endColumn"]) == (
        "demo.lean",
        "6",
        "1",
        "8",
    )
    assert refuted["severity"] == "error" and "refuted" in refuted["message"] and "x =" in refuted["message"]
    assert found["easy"]["severity"] == "info" and found["easy"]["line"] == "3"
