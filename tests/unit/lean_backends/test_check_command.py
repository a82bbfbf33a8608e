"""``prover check FILE``: through the fake Kimina server and the REPL double, positions as the file has them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from prover.lean.diagnostics import VSCODE_PATTERN
from tests.fakes.kimina_server import KiminaFakeServer, Transcript
from tests.fakes.repl_script import Script, error

SOURCE = """import Mathlib

open Real

/-- 𝓝 is outside the BMP: VS Code counts it as two columns. -/
theorem t (x : ℝ) : 0 ≤ x ^ 2 := by
  have h𝓝 := sq_nonneg x; nlinarith [h𝓝]
"""
BODY_LINE_OF_ERROR = 5  # body = the file minus "import Mathlib" and the blank line after it
FILE_LINE_OF_ERROR = 7


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no prover.toml from the checkout
    for name in ("PROVER_LEAN__BACKEND", "PROVER_LEAN__REPL_COMMAND", "PROVER_LEAN__KIMINA_URL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def kimina_env(server: KiminaFakeServer, *, endpoint: str = "verify", lines: str = "body") -> dict[str, str]:
    return {
        "PROVER_LEAN__BACKEND": "kimina",
        "PROVER_LEAN__KIMINA_URL": server.url,
        "PROVER_LEAN__KIMINA_ENDPOINT": endpoint,
        "PROVER_LEAN__KIMINA_LINES": lines,
    }


def scripted_error(column: int) -> dict[str, object]:
    return {
        "error": None,
        "response": {
            "messages": [
                {
                    "severity": "error",
                    "pos": {"line": BODY_LINE_OF_ERROR, "column": column},
                    "endPos": {"line": BODY_LINE_OF_ERROR, "column": column + len("nlinarith")},
                    "data": "linarith failed\nx : ℝ\n⊢ False",
                }
            ],
            "time": 0.2,
        },
    }


@pytest.fixture
def source_file(tmp_path: Path) -> Path:
    path = tmp_path / "T.lean"
    path.write_text(SOURCE, encoding="utf-8")
    return path


def error_column(line: str) -> int:
    """0-based code-point column of ``nlinarith`` in ``line``."""
    return line.index("nlinarith")


def test_recorded_kimina_answer_is_printed_at_file_lines(
    runner: CliRunner, kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript], kimina_dir: Path
) -> None:
    path = kimina_dir / "input" / "goedel-lean_workbook_1001.lean"
    result = runner.invoke(app, ["check", str(path)], env=kimina_env(kimina_fake))
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first == f"{path}:21:7: warning: this tactic is never executed"
    assert "  note: this linter can be disabled" in result.stdout


def test_lean_error_gives_exit_1_and_editor_positions(
    runner: CliRunner, empty_kimina_fake: KiminaFakeServer, source_file: Path
) -> None:
    line_text = SOURCE.split("\n")[FILE_LINE_OF_ERROR - 1]
    column = error_column(line_text)
    empty_kimina_fake.add(SOURCE, scripted_error(column))
    env = kimina_env(empty_kimina_fake)

    text = runner.invoke(app, ["check", str(source_file)], env=env)
    assert text.exit_code == 1
    assert (
        text.stdout.splitlines()[0]
        == f"{source_file}:{FILE_LINE_OF_ERROR}:{column + 1}: error: linarith failed"
    )

    as_json = runner.invoke(app, ["check", str(source_file), "--format", "json"], env=env)
    assert as_json.exit_code == 1
    (entry,) = json.loads(as_json.stdout)
    assert entry == {
        "file": str(source_file),
        "line": FILE_LINE_OF_ERROR,
        "column": column + 1,
        "end_line": FILE_LINE_OF_ERROR,
        "end_column": column + 1 + len("nlinarith"),
        "severity": "error",
        "text": "linarith failed\nx : ℝ\n⊢ False",
    }

    vscode = runner.invoke(app, ["check", str(source_file), "--format", "vscode"], env=env)
    assert vscode.exit_code == 1
    match = re.match(VSCODE_PATTERN, vscode.stdout.splitlines()[0])
    assert match is not None
    utf16_column = len(line_text[:column].encode("utf-16-le")) // 2 + 1
    assert utf16_column == column + 2  # one 𝓝 before the error
    assert match.groups() == (
        str(source_file),
        str(FILE_LINE_OF_ERROR),
        str(utf16_column),
        str(FILE_LINE_OF_ERROR),
        str(utf16_column + len("nlinarith")),
        "error",
        "linarith failed ⏎ x : ℝ ⏎ ⊢ False",
    )


def test_tasks_json_uses_the_documented_matcher() -> None:
    tasks_file = Path(__file__).resolve().parents[3] / ".vscode" / "tasks.json"
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    labels = {task["label"]: task for task in tasks["tasks"]}
    check = labels["prover: check current file"]
    assert check["args"][:1] == ["check"] and "--format" in check["args"]
    assert check["problemMatcher"]["pattern"]["regexp"] == VSCODE_PATTERN
    assert "prover: prove current file" in labels


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "no such file"), (b"theorem t : True := trivial -- caf\xe9\n", "not valid UTF-8")],
)
def test_unusable_file_is_bad_input(
    runner: CliRunner, tmp_path: Path, content: bytes | None, reason: str
) -> None:
    path = tmp_path / "Bad.lean"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr and reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_format_is_bad_input(runner: CliRunner, source_file: Path) -> None:
    result = runner.invoke(app, ["check", str(source_file), "--format", "xml"])
    assert result.exit_code == 2 and "--format" in result.stderr


def test_missing_lean_is_exit_3_with_doctors_advice(
    runner: CliRunner, source_file: Path, tmp_path: Path
) -> None:
    env = {"PROVER_LEAN__REPL_COMMAND": json.dumps([str(tmp_path / "no-such-repl")])}
    result = runner.invoke(app, ["check", str(source_file)], env=env)
    assert result.exit_code == 3
    assert "prover doctor" in result.stderr


def test_repl_double_positions_are_relative_to_the_file(
    runner: CliRunner, source_file: Path, tmp_path: Path
) -> None:
    script = Script(profile="v4.15").on_cmd("nlinarith", messages=[error("linarith failed", at="nlinarith")])
    env = {"PROVER_LEAN__REPL_COMMAND": json.dumps(script.command(tmp_path)), "PROVER_LEAN__WORKERS": "1"}
    result = runner.invoke(app, ["check", str(source_file)], env=env)
    assert result.exit_code == 1, result.output
    line_text = SOURCE.split("\n")[FILE_LINE_OF_ERROR - 1]
    expected = f"{source_file}:{FILE_LINE_OF_ERROR}:{error_column(line_text) + 1}: error: linarith failed"
    assert expected in result.stdout.splitlines()


def test_repl_double_accepting_the_file_is_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "Ok.lean"
    path.write_text("import Mathlib\n\ntheorem ok : 1 + 1 = 2 := by norm_num\n", encoding="utf-8")
    env = {"PROVER_LEAN__REPL_COMMAND": json.dumps(Script().command(tmp_path)), "PROVER_LEAN__WORKERS": "1"}
    result = runner.invoke(app, ["check", str(path), "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_repl_double_sorry_is_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "Sorry.lean"
    path.write_text("theorem s : 1 + 1 = 2 := by\n  sorry\n", encoding="utf-8")
    env = {"PROVER_LEAN__REPL_COMMAND": json.dumps(Script().command(tmp_path)), "PROVER_LEAN__WORKERS": "1"}
    result = runner.invoke(app, ["check", str(path)], env=env)
    assert result.exit_code == 1
    assert re.search(
        rf"^{re.escape(str(path))}:1:9: warning: declaration uses ['`]sorry['`]$", result.stdout, re.M
    )


@pytest.mark.parametrize("server_lines", ["body", "file"])
def test_kimina_with_probed_lines_prints_what_the_repl_backend_prints(
    runner: CliRunner, tmp_path: Path, server_lines: str
) -> None:
    """Default ``lean.kimina_lines`` (auto) against a server of either kind, the REPL double behind both."""
    path = tmp_path / "Holes.lean"
    path.write_text(
        "import Mathlib\n\nopen Real\n\ntheorem u : (1 : ℕ) = 1 := by\n  sorry\n", encoding="utf-8"
    )
    repl_env = {
        "PROVER_LEAN__REPL_COMMAND": json.dumps(Script(profile="v4.15").command(tmp_path)),
        "PROVER_LEAN__WORKERS": "1",
    }
    through_repl = runner.invoke(app, ["check", str(path)], env=repl_env)
    with KiminaFakeServer(lines=server_lines) as fake:  # type: ignore[arg-type]
        env = {"PROVER_LEAN__BACKEND": "kimina", "PROVER_LEAN__KIMINA_URL": fake.url}
        through_kimina = runner.invoke(app, ["check", str(path)], env=env)
    assert through_repl.exit_code == through_kimina.exit_code == 1
    assert through_kimina.stdout == through_repl.stdout
    assert f"{path}:5:9: warning: declaration uses 'sorry'" in through_kimina.stdout.splitlines()
