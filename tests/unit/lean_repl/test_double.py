"""The REPL double against the real transcripts: layout, framing, and its generated (scripted) answers."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import repl_double
from tests.fakes.repl_double import render_lean_json, split_transcript_requests
from tests.fakes.repl_script import DOUBLE, replay_command
from tests.fakes.repl_transcripts import TRANSCRIPTS, expected_of, label, load_pair, transcript_pairs

PAIRS = transcript_pairs()


class _Stdio:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def _run_in_process(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: bytes) -> bytes:
    out = _Stdio(b"")
    monkeypatch.setattr(sys, "stdin", _Stdio(stdin))
    monkeypatch.setattr(sys, "stdout", out)
    repl_double.main(argv)
    return out.buffer.getvalue()


def test_lean_pretty_printer_reproduces_every_recorded_answer(shared_dir: Path) -> None:
    del shared_dir
    answers = [(p, text) for p in PAIRS for _, _, text in load_pair(p)]
    assert len(answers) > 500
    mismatched = [label(p) for p, text in answers if render_lean_json(json.loads(text)) != text]
    assert mismatched == []


def test_pretty_printer_breaks_long_values_and_sorts_keys_descending() -> None:
    assert render_lean_json({"a": 1, "b": [], "c": "x"}) == '{"c": "x", "b": [], "a": 1}'
    long = render_lean_json({"message": "y" * 90})
    assert long == '{"message":\n "' + "y" * 90 + '"}'
    assert render_lean_json("tab\there\n") == '"tab\\u0009here\\n"'


@pytest.mark.parametrize("transcript", PAIRS, ids=[label(p) for p in PAIRS])
def test_replay_prints_the_expected_output_byte_for_byte(
    transcript: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del shared_dir
    out = _run_in_process(
        monkeypatch, ["--mode", "replay", "--transcript", str(transcript)], transcript.read_bytes()
    )
    assert out == expected_of(transcript).read_bytes()


@pytest.mark.parametrize(
    "name", ["test/invalid_line_break.in", "test/line_breaks.in", "test/Mathlib/test/pickle.in"]
)
def test_replay_over_real_pipes_matches_expected_bytes(name: str, shared_dir: Path) -> None:
    del shared_dir
    transcript = TRANSCRIPTS / name
    done = subprocess.run(
        replay_command(transcript),
        input=transcript.read_bytes(),
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected_of(transcript).read_bytes()


def test_raw_newlines_inside_a_request_are_dropped_like_the_real_repl(shared_dir: Path) -> None:
    del shared_dir
    queries = split_transcript_requests((TRANSCRIPTS / "test/invalid_line_break.in").read_text())
    assert json.loads(queries[0])["cmd"] == "theorem foo : 1 = 1 := bysorry"


# ------------------------------------------------------------------------ framing over real pipes
def _double(stdin: bytes, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, str(DOUBLE), "--mode", "scripted", "--log", str(tmp_path / "log.jsonl"), *args]
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=20, check=False, cwd=tmp_path)


def test_end_of_input_exits_cleanly_and_comments_are_skipped(tmp_path: Path) -> None:
    done = _double(b'-- a comment\n\n{"cmd": "def f := 1"}\n\n', tmp_path=tmp_path)
    assert done.returncode == 0
    assert done.stdout == b'{"env": 0}\n\n'
    logged = [json.loads(line)["request"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert logged == [{"cmd": "def f := 1"}]


def test_malformed_json_kills_the_process_with_an_uncaught_exception(tmp_path: Path) -> None:
    done = _double(b'{"cmd": "def f := 1"}\n\n{"cmd": oops}\n\n{"cmd": "def g := 1"}\n\n', tmp_path=tmp_path)
    assert done.returncode == 1
    assert done.stdout == b'{"env": 0}\n\n'
    assert done.stderr.startswith(b'uncaught exception: {"message": "Could not parse JSON:')


def test_two_blank_lines_make_an_empty_query_that_kills_the_process(tmp_path: Path) -> None:
    done = _double(b'{"cmd": "def f := 1"}\n\n\n{"cmd": "def g := 1"}\n\n', tmp_path=tmp_path)
    assert done.returncode == 1
    assert done.stdout == b'{"env": 0}\n\n'


def test_replay_exits_3_on_a_request_the_transcript_does_not_have(tmp_path: Path, shared_dir: Path) -> None:
    del shared_dir
    done = subprocess.run(
        replay_command(TRANSCRIPTS / "test/readme.in"),
        input=b'{"cmd": "other"}\n\n',
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 3
    assert done.stdout == b""
    del tmp_path


# ------------------------------------------------------------------ scripted mode vs the transcripts
def _tactic(regex: str, goals: list[str], **extra: Any) -> dict[str, Any]:
    return {"tactic": regex, "goals": goals, **extra}


GENERATED: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    (
        "test/readme.in",
        "head",
        "x : Unit\n⊢ Nat",
        [_tactic("apply Int.natAbs", ["x : Unit\n⊢ Int"]), _tactic("exact -37", [])],
    ),
    (
        "by-tag/v4.9.0/test/readme.in",
        "v4.9",
        "x : Unit\n⊢ Nat",
        [_tactic("apply Int.natAbs", ["x : Unit\n⊢ Int"]), _tactic("exact -37", [])],
    ),
    (
        "by-tag/v4.15.0/test/readme.in",
        "v4.15",
        "x : Unit\n⊢ Nat",
        [_tactic("apply Int.natAbs", ["x : Unit\n⊢ Int"]), _tactic("exact -37", [])],
    ),
    (
        "test/proof_step.in",
        "head",
        "⊢ Nat",
        [
            _tactic("apply Int.natAbs", ["⊢ Int"]),
            _tactic("have t", ["t : Nat\n⊢ Nat"]),
            _tactic("exact t", []),
        ],
    ),
    ("test/unknown_environment.in", "head", "⊢ True", []),
    ("test/unknown_proof_state.in", "head", "⊢ Nat", []),
    ("test/unknown_tactic.in", "head", "⊢ Nat", [{"tactic": "exat", "error": "<input>:1:1: unknown tactic"}]),
    (
        "by-tag/v4.9.0/test/unknown_tactic.in",
        "v4.9",
        "⊢ Nat",
        [{"tactic": "exat", "error": "<input>:1:1: unknown tactic"}],
    ),
    ("test/tactic_mode_sorry.in", "head", "⊢ Nat", [_tactic("sorry", [], sorries=[{"goal": "⊢ Nat"}])]),
    (
        "by-tag/v4.9.0/test/tactic_mode_sorry.in",
        "v4.9",
        "⊢ Nat",
        [_tactic("sorry", [], sorries=[{"goal": "⊢ Nat"}])],
    ),
    (
        "test/invalid_tactic.in",
        "head",
        "x : Nat\n⊢ x = x",
        [
            _tactic(
                "my_fake",
                [],
                messages=[
                    {
                        "severity": "error",
                        "pos": [0, 0],
                        "endPos": [0, 0],
                        "data": "Unknown identifier `my_fake_premise`",
                    }
                ],
            )
        ],
    ),
    (
        "by-tag/v4.9.0/test/invalid_tactic.in",
        "v4.9",
        "x : Nat\n⊢ x = x",
        [
            _tactic(
                "my_fake",
                [],
                messages=[
                    {
                        "severity": "error",
                        "pos": [0, 0],
                        "endPos": [0, 0],
                        "data": "unknown identifier 'my_fake_premise'",
                    }
                ],
            )
        ],
    ),
    ("test/pickle_environment.in", "head", "⊢ True", []),
    ("test/pickle_environment_with_imports.in", "head", "⊢ True", []),
    ("test/pickle_open.in", "head", "⊢ True", []),
    (
        "test/pickle_proof_state_1.in",
        "head",
        "⊢ Nat",
        [_tactic("have t", ["t : Nat\n⊢ Nat"]), _tactic("exact t", [])],
    ),
    ("test/Mathlib/test/H20231215.in", "head", "⊢ True", []),
]


@pytest.mark.parametrize(("name", "profile", "goal", "rules"), GENERATED, ids=[g[0] for g in GENERATED])
def test_scripted_answers_equal_the_real_transcript_bytes(
    name: str,
    profile: str,
    goal: str,
    rules: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shared_dir: Path,
) -> None:
    """Ids, omitted fields, key order, errors that consume no id and pickling rules are generated, not
    replayed: given only the goals Lean would print, the double must print what the real REPL printed."""
    del shared_dir
    transcript = TRANSCRIPTS / name
    (tmp_path / "test").mkdir()
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps({"profile": profile, "default_goal": goal, "rules": rules}))
    monkeypatch.chdir(tmp_path)
    out = _run_in_process(
        monkeypatch, ["--mode", "scripted", "--rules", str(rules_file)], transcript.read_bytes()
    )
    assert out.decode() == expected_of(transcript).read_text()
