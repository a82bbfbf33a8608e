"""The other everyday commands as a user meets them (issue 16, points 2, 5, 6, 7, 9, 10, 11, 12, 13, 14)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from prover.settings import Settings
from tests.fakes.repl_script import Script, requests

from .conftest import COLUMNS, REPO

pytestmark = pytest.mark.timeout(120)

WIDE = {"COLUMNS": str(COLUMNS), "LINES": "50", "NO_COLOR": "1"}


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env={**WIDE, **(env or {})})


# ------------------------------------------------------------------------------ 2. partial premise index
CORPUS = [
    {"name": "Nat.pos_of_ne_zero", "signature": "{n : ℕ} : n ≠ 0 → 0 < n", "file": "Mathlib/N.lean"},
    {"name": "mul_self_nonneg", "signature": "(a : α) : 0 ≤ a * a", "file": "Mathlib/O.lean"},
    {"name": "abs_sub_lt_iff", "signature": ": |a - b| < c ↔ a - b < c ∧ b - a < c", "file": "M/O.lean"},
]


@pytest.fixture
def bm25_only_index(workdir: Path) -> Path:
    corpus = workdir / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in CORPUS), encoding="utf-8")
    code = invoke("index", "build", "--corpus", str(corpus), "--no-dense", env=cache_env(workdir))
    assert code.exit_code == 0, code.output
    return corpus


def cache_env(workdir: Path) -> dict[str, str]:
    return {"PROVER_CACHE_DIR": str(workdir / "cache")}


def test_search_without_dense_part_falls_back_to_bm25_with_a_note(
    workdir: Path, bm25_only_index: Path
) -> None:
    result = invoke("search", "0 ≤ a * a", "-k", "2", env=cache_env(workdir))  # default mode: hybrid
    assert result.exit_code == 0, result.output
    assert "mul_self_nonneg" in result.stdout
    assert "using BM25 alone" in result.stderr and "prover index build --dense --corpus" in result.stderr


def test_search_in_dense_mode_without_dense_part_exits_2_with_the_command(
    workdir: Path, bm25_only_index: Path
) -> None:
    result = invoke("search", "0 ≤ a * a", "--mode", "dense", env=cache_env(workdir))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"run `prover index build --dense --corpus {bm25_only_index.resolve()}`" in result.stderr


def test_prove_session_opens_a_partial_index_as_bm25_with_one_warning(
    workdir: Path, bm25_only_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from prover.search.session import _retriever
    from retrieval.retrievers import Bm25Retriever

    settings = Settings(cache_dir=workdir / "cache")
    with caplog.at_level(logging.WARNING):
        retriever = _retriever(settings)
    assert isinstance(retriever, Bm25Retriever)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "prover index build --dense" in warnings[0].getMessage()


def test_prove_session_proves_without_an_unfinished_index(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from prover.search.session import _retriever

    (workdir / "cache" / "index").mkdir(parents=True)  # a build is running elsewhere: nothing current yet
    with caplog.at_level(logging.WARNING):
        assert _retriever(Settings(cache_dir=workdir / "cache")) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "proving without retrieved premises" in warnings[0]


# ------------------------------------------------------------------------------ 12. empty query
@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_query_is_bad_input(workdir: Path, query: str) -> None:
    result = invoke("search", query)
    assert result.exit_code == 2
    assert "empty query" in result.stderr


# ------------------------------------------------------------------------------ 5. check scans first
EVAL_FILE = 'import Mathlib\n\n#eval IO.Process.run { cmd := "touch", args := #["pwned"] }\n\ntheorem t : True := trivial\n'


def check_env(workdir: Path) -> dict[str, str]:
    return {"PROVER_LEAN__REPL_COMMAND": json.dumps(Script().command(workdir)), "PROVER_LEAN__WORKERS": "1"}


def test_check_warns_about_code_that_lean_would_run(workdir: Path) -> None:
    path = workdir / "Eval.lean"
    path.write_text(EVAL_FILE, encoding="utf-8")
    result = invoke("check", str(path), env=check_env(workdir))
    assert re.search(
        rf"^{re.escape(str(path))}:3:1: warning: prover scan: .*#eval.*runs code", result.stdout, re.M
    )


def test_check_safe_refuses_before_lean_starts(workdir: Path) -> None:
    path = workdir / "Eval.lean"
    path.write_text(EVAL_FILE, encoding="utf-8")
    result = invoke("check", "--safe", str(path), env=check_env(workdir))
    assert result.exit_code == 2
    assert f"{path}:3: refusing to check (--safe)" in result.stderr
    assert requests(workdir) == []  # nothing reached Lean


def test_check_safe_accepts_a_plain_file(workdir: Path) -> None:
    path = workdir / "Ok.lean"
    path.write_text("import Mathlib\n\ntheorem ok : 1 + 1 = 2 := by norm_num\n", encoding="utf-8")
    result = invoke("check", "--safe", str(path), env=check_env(workdir))
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------------------ 6. doctor
def test_doctor_prints_each_fix_whole_on_its_own_line(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prover.doctor import ELAN_INSTALL

    monkeypatch.setenv("PATH", str(workdir))  # no elan, lean or lake
    project = workdir / "a-rather-long-folder-name" / "with-a-lean-project-inside-it"
    result = invoke("doctor", env={"PROVER_LEAN__PROJECT_DIR": str(project)})
    assert result.exit_code == 3
    lines = result.stdout.splitlines()
    assert any(line.endswith(f"(elan): install elan: {ELAN_INSTALL}") for line in lines), result.stdout
    assert any(line.endswith(f"cd {project} && lake exe cache get && lake build") for line in lines)
    table = [line for line in lines if line.startswith(("┃", "│", "┏", "└"))]
    assert table and max(len(line) for line in table) <= COLUMNS
    assert not any("curl" in line for line in table)  # no command inside a table cell


# ------------------------------------------------------------------------------ 7. config show
def test_config_show_keeps_every_key_whole_at_80_columns(workdir: Path) -> None:
    result = invoke("config", "show")
    assert result.exit_code == 0, result.output
    shown = set(re.findall(r"^│ (\S+)", result.stdout, re.M))
    keys = {row["key"] for row in json.loads(invoke("config", "show", "--format", "json").stdout)}
    assert keys <= shown, keys - shown  # e.g. llm.prover.price_prompt_per_mtok and ..._completion_...
    assert max(len(line) for line in result.stdout.splitlines()) <= COLUMNS


def test_config_show_json_has_json_values_and_the_table_toml_values(workdir: Path) -> None:
    (workdir / "prover.toml").write_text('[search]\ncascade_tactics = ["norm_num", "linarith"]\n')
    rows = {
        row["key"]: row["value"] for row in json.loads(invoke("config", "show", "--format", "json").stdout)
    }
    assert rows["lean.repl_command"] is None
    assert rows["search.cascade_tactics"] == ["norm_num", "linarith"]
    assert rows["smt.enabled"] is True
    table = invoke("config", "show").stdout
    assert re.search(r'│ search\.cascade_tactics +│ \["norm_num", +│', table) or '["norm_num",' in table
    assert re.search(r"│ lean\.backend +│ \"repl\" +│", table)
    assert re.search(r"│ smt\.enabled +│ true +│", table)


# ------------------------------------------------------------------------------ 13. configuration errors
def test_env_error_names_the_variable(workdir: Path) -> None:
    result = invoke("config", "show", env={"PROVER_LEAN__WORKERS": "abc"})
    assert result.exit_code == 2
    assert "PROVER_LEAN__WORKERS=abc: not an integer" in result.stderr


def test_unknown_key_suggests_the_nearest(workdir: Path) -> None:
    (workdir / "prover.toml").write_text("[lean]\nwokers = 3\n")
    result = invoke("config", "show")
    assert result.exit_code == 2
    assert "lean.wokers: unknown key (did you mean `workers`?)" in result.stderr


def test_config_dir_is_a_directory(workdir: Path) -> None:
    result = invoke("--config", str(workdir), "config", "show")
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


# ------------------------------------------------------------------------------ 9, 11. audit
DATASET_ROWS = [
    {
        "name": f"p{n}",
        "split": "test",
        "formal_statement": f"theorem p{n} (x : ℕ) (h : x > {n}) : x > 0 := by\n",
    }
    for n in range(6)
]


def test_audit_reports_progress_and_keeps_engine_warnings_out(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prover.smt.audit as audit_module

    calls: list[tuple[int, int]] = []
    real = audit_module.audit_path

    def audit_path(path: Path, settings: Any, *, progress: Any) -> Any:
        def spy(done: int, total: int) -> None:
            calls.append((done, total))
            logging.getLogger("prover.smt.worker").warning("Z3 worker passed its hard deadline (9.9s)")
            progress(done, total)

        return real(path, settings, progress=spy)

    monkeypatch.setattr(audit_module, "audit_path", audit_path)
    source = workdir / "set.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in DATASET_ROWS), encoding="utf-8")
    result = invoke("audit", str(source))
    assert result.exit_code == 0, result.output
    assert calls == [(n, len(DATASET_ROWS)) for n in range(1, len(DATASET_ROWS) + 1)]
    assert "hard deadline" not in result.output
    assert "valid: 6" in result.stdout


def test_audit_marks_and_lists_rows_that_hit_the_time_limit() -> None:
    from prover.audit_view import audit_summary, audit_table
    from prover.smt.audit import AuditRow, hit_time_limit
    from prover.types import SmtStatus

    assert hit_time_limit(SmtStatus.unknown, "z3: unknown within the time limit", 0.3, 2.0)
    assert hit_time_limit(SmtStatus.unknown, "", 2.1, 2.0)
    assert not hit_time_limit(SmtStatus.valid, "time limit", 3.0, 2.0)
    assert not hit_time_limit(SmtStatus.unknown, "outside the fragment", 0.1, 2.0)
    rows = [
        AuditRow(name="slow", status=SmtStatus.unknown, evidence="z3: unknown", timed_out=True),
        AuditRow(name="fast", status=SmtStatus.valid),
    ]
    lines = audit_summary(rows, 2.0)
    assert lines[0].startswith("valid: 1, refuted: 0") and "unknown: 1" in lines[0]
    assert "1 hit the time limit" in lines[1] and lines[1].endswith(": slow")
    from rich.console import Console

    console = Console(width=COLUMNS, record=True, color_system=None)
    console.print(audit_table("audit", rows))
    assert "unknown*" in console.export_text()


def test_audit_help_says_results_depend_on_time_limits() -> None:
    assert "time limits" in " ".join(invoke("audit", "--help").stdout.split())


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "folder.lean", "is a directory"),
        (b"theorem a (x : \xff) : x = x := by sorry\n", "latin.lean", "latin.lean:1: not valid UTF-8"),
        (b"", "empty.lean", "no theorems found"),
        (b"def f : Nat := 1\n", "defs.lean", "no theorems found"),
        (b"", "empty.jsonl", "no theorems found"),
    ],
)
def test_audit_reads_input_like_prove_and_check(
    workdir: Path, content: bytes | None, name: str, message: str
) -> None:
    path = workdir / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = invoke("audit", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    if name.endswith(".lean") and content is not None and message != "no theorems found":
        checked = invoke("check", str(path))  # the same reader, the same words
        assert checked.exit_code == 2 and message in checked.stderr


# ------------------------------------------------------------------------------ 14. help
def test_version() -> None:
    from importlib.metadata import version

    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"prover {version('prover')}"


def command_paths() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    paths: list[list[str]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        paths += [[name, sub] for sub in subcommands] if subcommands else [[name]]
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_help_shows_usage_placeholders_and_an_example(path: list[str]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    usage = next(line for line in result.stdout.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage
    assert "<bool>" not in result.stdout
    assert "Examples:" in result.stdout and f"prover {' '.join(path)}" in result.stdout


def test_global_flags_have_no_misleading_placeholder() -> None:
    text = invoke("--help").stdout
    verbose = next(line for line in text.splitlines() if "--verbose" in line)
    assert "<int>" not in verbose and "-vv" in verbose


def test_defaults_shown_in_help_are_the_settings_defaults() -> None:
    defaults = Settings()
    shown: dict[str, str] = {}
    for path in (["search"], ["check"], ["prove"], ["audit"]):
        text = " ".join(invoke(*path, "--help").stdout.replace("│", " ").split())
        shown.update(re.findall(r"\[default: \(([a-z_.]+) = ([^)]+)\)\]", text))
    assert {"retrieval.mode", "search.max_llm_calls", "smt.timeout_s", "lean.timeout_s"} <= set(shown)
    for key, value in shown.items():
        section, field = key.split(".")
        actual = getattr(getattr(defaults, section), field)
        assert value == (f"{actual:g}" if isinstance(actual, float) else str(actual)), key


def test_readme_guard_allow_list_matches_help() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `prover guard"))
    documented = set(re.search(r"--allow ([^\]`]+)\]", row).group(1).split("\\|"))  # type: ignore[union-attr]
    help_text = " ".join(invoke("guard", "--help").stdout.replace("│", " ").split())
    assert documented == {"native_decide", "sorry"}
    assert all(name in help_text for name in documented)


# ------------------------------------------------------------------------------ 4. quiet shutdown (Z3)
def test_z3_worker_exits_quietly_when_its_caller_is_gone() -> None:
    import socket
    import subprocess
    import sys
    from multiprocessing.connection import Connection

    from prover.smt.worker import WORKER_ENTRY

    ours, theirs = socket.socketpair()
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_ENTRY, str(theirs.fileno())],
        pass_fds=(theirs.fileno(),),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    theirs.close()
    connection = Connection(ours.detach())
    assert connection.poll(60) and connection.recv() == "ready"
    from prover.smt.core import Query

    connection.send(
        (Query(variables=(), functions=(), hypotheses=(), goal=None), 1000)
    )  # the worker answers after we are gone: a broken pipe
    connection.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_sigterm_during_an_audit_is_quiet(workdir: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from .conftest import prover_env

    source = workdir / "many.jsonl"
    rows = [
        {
            "name": f"q{n}",
            "split": "test",
            "formal_statement": f"theorem q{n} (x y : ℕ) (h : x * y = {n}) : x ≤ {n} := by\n",
        }
        for n in range(1, 400)
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "audit", str(source)],
        cwd=workdir,
        env=prover_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not psutil.Process(process.pid).children():
        time.sleep(0.05)
    assert psutil.Process(process.pid).children(), "the Z3 worker never started"
    time.sleep(0.5)  # mid-audit
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)  # waits for the worker too: it shares the stderr pipe
    assert process.returncode == -signal.SIGTERM  # a shell shows 143
    assert "Traceback" not in err and "BrokenPipeError" not in err
