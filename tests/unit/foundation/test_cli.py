from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

HEAVY = ("torch", "transformers", "sentence_transformers", "ray", "lean_dojo")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for key in list(os.environ):
        if key.startswith("PROVER_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_doctor_reports_missing_lean_with_fix(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no elan, lean or lake reachable
    monkeypatch.setenv("PROVER_LEAN__PROJECT_DIR", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 3
    assert "lean" in result.output
    assert "missing" in result.output
    assert "elan" in result.output  # the fix says how to install it


def test_doctor_passes_with_kimina_reachable(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from prover.doctor import all_required_ok, diagnose
    from prover.settings import load_settings

    monkeypatch.setenv("PROVER_LEAN__BACKEND", "kimina")
    monkeypatch.setenv("PROVER_LEAN__MEMORY_LIMIT_MB", "256")
    monkeypatch.setenv("PROVER_LEAN__WORKERS", "1")
    rows = diagnose(load_settings().settings, probe=lambda url: None)
    assert all_required_ok(rows)
    assert not any(r.name == "lean" for r in rows)  # a Kimina user needs no local Lean


def test_doctor_flags_unreachable_endpoint() -> None:
    from prover.doctor import CheckStatus, diagnose
    from prover.settings import Settings

    settings = Settings(
        llm={"prover": {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}}
    )
    rows = diagnose(settings, probe=lambda url: "unreachable (ConnectError)")
    row = next(r for r in rows if r.name == "LLM prover")
    assert row.status is CheckStatus.missing
    assert "127.0.0.1:9" in row.fix


def test_config_show_names_sources(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "prover.toml").write_text("[lean]\nworkers = 5\n")
    monkeypatch.setenv("PROVER_SMT__TIMEOUT_S", "3.5")
    result = runner.invoke(app, ["config", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["key"]: row for row in json.loads(result.output)}
    assert rows["lean.workers"]["value"] == 5  # JSON values, not Python text
    assert rows["lean.workers"]["source"].endswith("prover.toml")
    assert rows["smt.timeout_s"]["source"] == "env"
    assert rows["lean.backend"]["source"] == "default"


def test_bad_config_is_one_line_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "prover.toml").write_text("[lean]\nbackend = 'coq'\n")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "lean.backend" in result.output


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['prover', '--help']\n"
        "import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_has_help(runner: CliRunner) -> None:
    import typer.main

    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert "doctor" in names
    for name in names:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_entry_point_sets_process_defaults_but_keeps_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    import cli

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")  # the user wants their pydantic plugins
    monkeypatch.setattr(sys, "argv", ["prover", "--version"])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == ""
