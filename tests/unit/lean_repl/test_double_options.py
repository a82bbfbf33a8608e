"""The REPL double's command options: honoured as the recorded REPL answers them, or refused loudly (issue 15).

``allTactics`` and ``rootGoals`` are compared with the real REPL's transcripts (positions, texts, shapes);
``infotree``, ``declarations``, ``rootGoals`` on an old profile and ``setOptions`` other than ``Elab.async``
make the double exit with status 3; LeanInteract's ``incrementality`` and default ``setOptions`` are accepted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.repl_double import ScriptedLean
from tests.fakes.repl_script import DOUBLE

REPL_TESTS = Path("data/lean-repl-transcripts/test")


def recorded(shared_dir: Path, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    folder = shared_dir / REPL_TESTS
    requests = [json.loads(q) for q in (folder / f"{name}.in").read_text().split("\n\n") if q.strip()]
    answers = [
        json.loads(a) for a in (folder / f"{name}.expected.out").read_text().split("\n\n") if a.strip()
    ]
    return requests, answers


def run_double(requests: list[dict[str, Any]], profile: str = "head") -> subprocess.CompletedProcess[str]:
    stdin = "".join(json.dumps(r) + "\n\n" for r in requests)
    return subprocess.run(
        [sys.executable, str(DOUBLE), "--mode", "scripted", "--profile", profile],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def answers_of(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(chunk) for chunk in done.stdout.split("\n\n") if chunk.strip()]


def placed(items: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(json.dumps(item[key], sort_keys=True) for key in keys) for item in items]


@pytest.mark.parametrize("name", ["all_tactics", "all_tactics-20250622"])
def test_all_tactics_lists_each_tactic_where_the_real_repl_does(shared_dir: Path, name: str) -> None:
    requests, answers = recorded(shared_dir, name)
    ours = ScriptedLean(profile="head").command(requests[0], requests[0]["cmd"])
    theirs = answers[0]["tactics"]
    assert placed(ours["tactics"], "tactic", "pos", "endPos") == placed(theirs, "tactic", "pos", "endPos")
    assert [set(t) for t in ours["tactics"]] == [set(t) for t in theirs]
    assert len({t["proofState"] for t in ours["tactics"]}) == len(theirs)  # a fresh state each


def test_root_goals_are_sorries_at_each_proof_and_tactics_continue_from_them(shared_dir: Path) -> None:
    requests, answers = recorded(shared_dir, "root_goals")
    lean = ScriptedLean(profile="head")
    first = lean.command(requests[0], requests[0]["cmd"])
    assert placed(first["sorries"], "pos", "endPos") == placed(answers[0]["sorries"], "pos", "endPos")
    assert [s["proofState"] for s in first["sorries"]] == [0, 1]
    for request in requests[1:]:
        assert lean.tactic(request) == {
            "proofStatus": "Completed",
            "proofState": lean.next_proof_state - 1,
            "goals": [],
        }


def test_rule_given_tactics_and_root_goals_carry_their_goals() -> None:
    rule = {
        "cmd": "exact hp",
        "tactics": [{"tactic": "exact hp", "goals": "P : Prop\nhp : P\n⊢ P"}],
        "root_goals": ["P : Prop\nhp : P\n⊢ P"],
    }
    lean = ScriptedLean(profile="head", rules=[rule])
    text = "example (P : Prop) (hp : P) : P := by\n  exact hp\n"
    answer = lean.command({"cmd": text, "allTactics": True, "rootGoals": True}, text)
    assert answer["tactics"][0]["goals"] == "P : Prop\nhp : P\n⊢ P"
    assert answer["tactics"][0]["pos"] == {"line": 2, "column": 2}
    assert answer["sorries"][0]["goal"] == "P : Prop\nhp : P\n⊢ P"


@pytest.mark.parametrize(
    ("extra", "profile", "says"),
    [
        ({"infotree": "original"}, "head", "option 'infotree' is not modelled"),
        ({"declarations": True}, "head", "option 'declarations' is not modelled"),
        ({"rootGoals": True}, "v4.15", "option 'rootGoals' is not modelled for profile 'v4.15'"),
        ({"setOptions": [[["maxHeartbeats"], 0]]}, "head", "option 'setOptions' with 'maxHeartbeats' is not"),
    ],
)
def test_unmodelled_options_make_the_double_fail_loudly(
    extra: dict[str, Any], profile: str, says: str
) -> None:
    done = run_double([{"cmd": "theorem t : True := trivial", **extra}], profile)
    assert done.returncode == 3 and done.stdout == ""
    assert f"repl double: {says}" in done.stderr


def test_lean_interacts_default_options_are_accepted_and_change_nothing() -> None:
    """LeanInteract 0.11.6 adds ``incrementality: true`` and ``setOptions: [[["Elab", "async"], true]]``."""
    plain = {"cmd": "theorem t : True := by\n  sorry"}
    lean_interact = {**plain, "incrementality": True, "setOptions": [[["Elab", "async"], True]]}
    done = run_double([plain, lean_interact])
    assert done.returncode == 0, done.stderr
    first, second = answers_of(done)
    assert {**first, "env": None, "sorries": None} == {**second, "env": None, "sorries": None}
    assert [s["pos"] for s in first["sorries"]] == [s["pos"] for s in second["sorries"]]
