"""The CLI as a user meets it: a subprocess in a temporary folder, a prover.toml naming the REPL double."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.repl_script import Script, error, info

REPO = Path(__file__).resolve().parents[3]
COLUMNS = 80

TWO_THEOREMS = """import Mathlib

theorem easy_one (x : ℕ) (h : x = 2) : x + x = 4 := by
  sorry

theorem hard_one_with_a_rather_long_name (a b : ℝ) (h : 0 < a) : a * b ≤ (a ^ 2 + b ^ 2) / 2 := by
  sorry
"""

LONG_ERROR = (
    "linarith failed to find a contradiction\ncase a\nx : ℕ\nh : x = 2\na✝ : x + x < 4\n⊢ False\n"
    + "\n".join(f"  extra context line {n} that makes the message long" for n in range(20))
)


def accept(name: str) -> list[dict[str, object]]:
    axioms = "propext, Classical.choice, Quot.sound"
    return [info(f"'{name}' depends on axioms: [{axioms}]", at="#print axioms")]


def two_theorem_script() -> Script:
    """``easy_one`` is proved by ``linarith``; every other proof fails with a 26-line message."""
    script = Script(default_tactic={"error": "tactic failed"})
    script.on_cmd(r"theorem easy_one\b.*:= by\n  linarith(\s|$)", messages=accept("easy_one"))
    return script.on_cmd(r":= by\n  (?!sorry\b)", messages=[error(LONG_ERROR)])


def write_config(tmp_path: Path, command: list[str], **sections: str) -> Path:
    """prover.toml with the REPL command, two workers, a short cascade, Z3 and the lemma cache off."""
    argv = ", ".join(json.dumps(part) for part in command)
    extra = "".join(f"\n[{name}]\n{body}\n" for name, body in sections.items())
    config = tmp_path / "prover.toml"
    config.write_text(
        f"""cache_dir = {json.dumps(str(tmp_path / "cache"))}

[lean]
workers = 2
timeout_s = 20.0
repl_command = [{argv}]

[search]
cascade_tactics = ["norm_num", "linarith"]
step_max_expansions = 2
lemma_cache = false

[smt]
enabled = false
{extra}""",
        encoding="utf-8",
    )
    return config


def prover_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVER_")}
    env.update({"COLUMNS": str(COLUMNS), "LINES": "50", "TERM": "xterm-256color", "NO_COLOR": "1"})
    env.update(extra)
    return env


def run_prover(
    cwd: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        cwd=cwd,
        env=env or prover_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: …`` line a user error prints (and nothing like a traceback)."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in list(os.environ):
        if key.startswith("PROVER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.chdir(tmp_path)
    return tmp_path
