"""``prover show`` shows what failed and why (point 10); the live line counts theorems (point 8); Ctrl-C
says the file was left unchanged (point 15)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prover.search.events import EventKind, SearchEvent
from prover.search.report_view import LiveProgress
from prover.search.trace import Trace, TraceNode
from prover.search.trace_view import rich_tree, to_html
from prover.search.tree import AttemptRecord, NodeKind, NodeStatus
from prover.types import Attempt, Message, Pos, ProofStatus, Severity, Verdict
from tests.fakes.repl_script import requests

from .conftest import COLUMNS, TWO_THEOREMS, prover_env, two_theorem_script, write_config

pytestmark = pytest.mark.timeout(120)


def failed(node_id: str, tactic: str, error: str) -> TraceNode:
    attempt = Attempt(
        goal_key="g",
        strategy="symbolic",
        proof=tactic,
        verdict=Verdict.lean_error,
        messages=(
            Message(severity=Severity.info, pos=Pos(line=1, column=0), text="try this"),
            Message(severity=Severity.error, pos=Pos(line=2, column=2), text=error + "\ncase h\n⊢ False"),
        ),
    )
    return TraceNode(
        id=node_id,
        kind=NodeKind.attempt,
        status=NodeStatus.failed,
        attempt=AttemptRecord(attempt=attempt, lean_checks=2),
    )


def trace_with_repeated_failures() -> Trace:
    nodes = [
        TraceNode(id="root", kind=NodeKind.goal, status=NodeStatus.failed, name="t", statement="theorem t"),
        *(failed(f"a{n}", "linarith", "linarith failed to find a contradiction") for n in range(3)),
        failed("b", "norm_num\n  simp", "simp made no progress"),
    ]
    edges = tuple(("root", node.id) for node in nodes[1:])
    return Trace(theorem="t", status=ProofStatus.not_proved, root="root", nodes=tuple(nodes), edges=edges)


def test_show_names_the_tactic_and_leans_first_error_and_groups_repeats() -> None:
    from rich.console import Console

    trace = trace_with_repeated_failures()
    console = Console(width=200, record=True, color_system=None)
    console.print(rich_tree(trace))
    text = console.export_text()
    assert "symbolic `linarith`: lean_error: linarith failed to find a contradiction" in text
    assert "×3" in text and text.count("linarith failed") == 1
    assert "symbolic `norm_num ⏎ simp`: lean_error: simp made no progress" in text
    assert "case h" not in text  # only the first line of Lean's message
    page = to_html(trace)
    assert "symbolic `linarith`: lean_error: linarith failed to find a contradiction" in page
    assert "<strong>×3</strong>" in page


def test_live_line_counts_theorems_and_fits_80_columns() -> None:
    from rich.console import Console

    progress = LiveProgress(total=3)
    for name in ("first", "a_theorem_with_an_extremely_long_name_that_goes_on_and_on_and_on"):
        progress.update(SearchEvent(kind=EventKind.theorem_started, theorem=name, goals_open=1))
    console = Console(width=COLUMNS, record=True, color_system=None)
    console.print(progress.render(COLUMNS))
    lines = console.export_text().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= COLUMNS
    assert lines[0].startswith("theorem 2 of 3: a_theorem_with")


def test_ctrl_c_says_the_file_was_left_unchanged(workdir: Path) -> None:
    target = workdir / "two.lean"
    target.write_text(TWO_THEOREMS, encoding="utf-8")
    script = two_theorem_script()
    script.delay = 0.3  # every answer is slow, so the run is surely interrupted mid-search
    write_config(workdir, script.command(workdir))
    # The child takes Ctrl-C even when this test run is a background job (which inherits SIGINT ignored).
    with_ctrl_c = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); import cli; cli.main()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", with_ctrl_c, "prove", "two.lean", "--in-place", "--no-llm"],
        cwd=workdir,
        env=prover_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(":= by" in r.get("cmd", "") for r in requests(workdir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted: two.lean left unchanged, nothing written" in err
    assert "Traceback" not in err
    assert target.read_text(encoding="utf-8") == TWO_THEOREMS
