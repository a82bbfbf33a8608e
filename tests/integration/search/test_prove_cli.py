"""`prover prove` and `prover show` as a user runs them: a subprocess, a prover.toml naming the REPL double."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.repl_script import Script, requests
from tests.integration.search.conftest import MiniF2F, accept, rejecting

pytestmark = pytest.mark.timeout(90)

PROVABLE = {"mathd_algebra_478": "linarith", "mathd_numbertheory_3": "norm_num"}
UNPROVABLE = "amc12a_2019_p21"


def write_config(tmp_path: Path, script: Script) -> None:
    command = ", ".join(json.dumps(part) for part in script.command(tmp_path))
    (tmp_path / "prover.toml").write_text(
        f"""[lean]
workers = 2
timeout_s = 20.0
repl_command = [{command}]

[search]
cascade_tactics = ["norm_num", "linarith", "nlinarith"]
step_max_expansions = 2
lemma_cache = false

[smt]
enabled = false
""",
        encoding="utf-8",
    )


def three_theorem_script() -> Script:
    script = Script(default_tactic={"error": "tactic failed"})
    for name, tactic in PROVABLE.items():
        script.on_cmd(rf"theorem {name}\b.*:= by\n  {tactic}(\s|$)", messages=accept(name))
    return rejecting(script)


# A test run started as a background job inherits SIGINT ignored; the child takes Ctrl-C as a terminal would.
WITH_CTRL_C = (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); import cli; cli.main()"
)


def prover(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WITH_CTRL_C, *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_prove_in_place_with_one_unprovable_theorem(tmp_path: Path, minif2f: MiniF2F) -> None:
    source = minif2f.file("mathd_algebra_478", UNPROVABLE, "mathd_numbertheory_3")
    target = tmp_path / "three.lean"
    target.write_text(source, encoding="utf-8")
    write_config(tmp_path, three_theorem_script())
    process = prover(
        tmp_path, "prove", "three.lean", "--in-place", "--no-llm", "--trace", "traces", "--format", "json"
    )
    out, err = process.communicate(timeout=80)
    assert process.returncode == 1, err
    report = json.loads(out)
    statuses = {t["name"]: t["status"] for t in report["theorems"]}
    assert statuses == {
        "mathd_algebra_478": "proved",
        "mathd_numbertheory_3": "proved",
        UNPROVABLE: "not_proved",
    }
    assert (tmp_path / "three.lean.bak").read_text(encoding="utf-8") == source
    written = target.read_text(encoding="utf-8")
    expected = source
    for name, tactic in PROVABLE.items():
        expected = expected.replace(
            f"{minif2f.statement(name)} := by\n  sorry", f"{minif2f.statement(name)} := by\n  {tactic}"
        )
    assert written == expected
    assert written.count("sorry") == 1
    assert len(report["traces"]) == 3

    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "show",
            report["traces"][0],
            "--dot",
            "t.dot",
            "--html",
            "t.html",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "mathd_algebra_478: proved" in shown.stdout and "symbolic" in shown.stdout
    assert (tmp_path / "t.dot").read_text().startswith("digraph") and "<html>" in (
        tmp_path / "t.html"
    ).read_text()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    write_config(tmp_path, Script())
    (tmp_path / "done.lean").write_text("theorem t : 1 = 1 := rfl\n", encoding="utf-8")
    for args in (["prove", "missing.lean"], ["prove", "done.lean"], ["show", "done.lean"]):
        process = prover(tmp_path, *args)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 2, (args, err)
        assert err.startswith("error:")


def test_sigint_leaves_the_input_file_intact(tmp_path: Path, minif2f: MiniF2F) -> None:
    source = minif2f.file("mathd_algebra_478", UNPROVABLE, "mathd_numbertheory_3")
    target = tmp_path / "three.lean"
    target.write_text(source, encoding="utf-8")
    script = three_theorem_script()
    script.delay = 0.3  # every answer is slow, so the run is surely interrupted mid-search
    write_config(tmp_path, script)
    process = prover(tmp_path, "prove", "three.lean", "--in-place", "--no-llm")
    deadline = time.monotonic() + 30
    while not any(":= by" in r.get("cmd", "") for r in requests(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert target.read_text(encoding="utf-8") == source
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("three", ".three"))) == [
        "three.lean"
    ]


def test_vscode_output_is_read_by_the_tasks_problem_matcher(tmp_path: Path, minif2f: MiniF2F) -> None:
    import re

    from prover.lean.diagnostics import VSCODE_PATTERN

    source = minif2f.file("mathd_algebra_478", UNPROVABLE)
    (tmp_path / "two.lean").write_text(source, encoding="utf-8")
    write_config(tmp_path, three_theorem_script())
    process = prover(tmp_path, "prove", "two.lean", "--no-llm", "--format", "vscode")
    out, err = process.communicate(timeout=80)
    assert process.returncode == 1, err
    tasks = json.loads((Path(__file__).resolve().parents[3] / ".vscode" / "tasks.json").read_text())
    matchers = {task["label"]: task["problemMatcher"]["pattern"]["regexp"] for task in tasks["tasks"]}
    assert matchers["prover: prove current file"] == VSCODE_PATTERN
    lines = out.strip().splitlines()
    parsed = [re.match(VSCODE_PATTERN, line) for line in lines]
    assert len(lines) == 2 and all(parsed), out
    by_name = {m.group(7).split()[0]: m for m in parsed if m}
    unproved = by_name[UNPROVABLE]
    assert unproved.group(6) == "warning" and "not proved" in unproved.group(7)
    keyword_line = next(n for n, text in enumerate(source.splitlines(), 1) if f"theorem {UNPROVABLE}" in text)
    assert int(unproved.group(2)) == keyword_line
    assert by_name["mathd_algebra_478"].group(6) == "info"
