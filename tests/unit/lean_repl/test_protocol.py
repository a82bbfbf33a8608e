from __future__ import annotations

import json

import pytest

from prover.errors import ProtocolError
from prover.lean.repl_protocol import (
    ReplFailure,
    StateFactory,
    decode_response,
    encode_request,
    parse_command_response,
    parse_tactic_response,
    split_header,
)
from prover.types import Pos, StepStatus, Verdict


def test_requests_are_one_line_of_json_and_one_blank_line() -> None:
    wire = encode_request({"cmd": "theorem t : 1 = 1 := by\n  rfl", "env": 3})
    body, _, rest = wire.partition(b"\n")
    assert rest == b"\n"
    assert json.loads(body) == {"cmd": "theorem t : 1 = 1 := by\n  rfl", "env": 3}


def test_header_is_the_leading_import_open_and_set_option_lines() -> None:
    code = "import Mathlib\nopen Real Nat\n\nset_option maxHeartbeats 400000\n-- note\ntheorem t : True := trivial\n"
    header, body, lines = split_header(code)
    assert header == "import Mathlib\nopen Real Nat\n\nset_option maxHeartbeats 400000\n-- note"
    assert body == "theorem t : True := trivial\n"
    assert lines == 5
    assert "\n".join([header, body]) == code


def test_open_in_belongs_to_the_next_command_and_no_header_means_empty() -> None:
    assert split_header("import Mathlib\nopen Real in\ntheorem t : True := trivial")[2] == 1
    assert split_header("theorem t : True := trivial") == ("", "theorem t : True := trivial", 0)
    assert split_header("\n\ntheorem t : True := trivial") == ("", "\n\ntheorem t : True := trivial", 0)


def test_positions_shift_by_the_header_but_line_zero_stays() -> None:
    raw = {
        "env": 4,
        "messages": [
            {
                "severity": "error",
                "pos": {"line": 2, "column": 3},
                "endPos": {"line": 2, "column": 9},
                "data": "x",
            },
            {"severity": "info", "pos": {"line": 0, "column": 0}, "endPos": None, "data": "y"},
        ],
        "sorries": [
            {
                "proofState": 7,
                "pos": {"line": 1, "column": 5},
                "goal": "⊢ True",
                "endPos": {"line": 1, "column": 10},
            }
        ],
    }
    result = parse_command_response(raw, state_of=StateFactory("repl", 2, 5), line_offset=3)
    assert result.verdict is Verdict.lean_error
    assert result.messages[0].pos == Pos(line=5, column=3)
    assert result.messages[0].end_pos == Pos(line=5, column=9)
    assert result.messages[1].pos == Pos(line=0, column=0) and result.messages[1].end_pos is None
    assert result.sorries[0].pos == Pos(line=4, column=5)
    state = result.sorries[0].state
    assert state is not None and (state.worker, state.generation, state.proof_state) == (2, 5, 7)
    assert result.raw == raw and result.env == 4


def test_sorry_warning_alone_makes_a_sorry_verdict_in_both_quotings() -> None:
    for quoted in ("declaration uses 'sorry'", "declaration uses `sorry`"):
        message = {"severity": "warning", "pos": {"line": 1, "column": 0}, "data": quoted}
        assert parse_command_response({"env": 0, "messages": [message]}).verdict is Verdict.sorry
    assert parse_command_response({"env": 0}).verdict is Verdict.valid


def test_refusals_and_garbage() -> None:
    with pytest.raises(ReplFailure, match="Unknown environment"):
        parse_command_response({"message": "Unknown environment."})
    with pytest.raises(ProtocolError):
        decode_response(b"not json\n\n")
    with pytest.raises(ProtocolError):
        decode_response(b"[1, 2]\n\n")
    with pytest.raises(ProtocolError):
        parse_command_response({"messages": []})
    with pytest.raises(ProtocolError):
        parse_command_response(
            {"env": 0, "messages": [{"severity": "fatal", "pos": {"line": 1, "column": 0}, "data": ""}]}
        )


def test_tactic_answers_map_to_step_status() -> None:
    states = StateFactory("repl", 0, 1)
    assert parse_tactic_response({"proofState": 1, "goals": []}, state_of=states).status is StepStatus.proved
    opened = parse_tactic_response({"proofState": 2, "goals": ["⊢ Int"]}, state_of=states)
    assert opened.status is StepStatus.open and opened.goals == ("⊢ Int",)
    assert opened.state is not None and opened.state.proof_state == 2
    recovered = parse_tactic_response(
        {
            "proofState": 3,
            "goals": [],
            "messages": [{"severity": "error", "pos": {"line": 0, "column": 0}, "data": "e"}],
        }
    )
    assert recovered.status is StepStatus.error
    thrown = parse_tactic_response({"message": "Lean error:\n<input>:1:1: unknown tactic"})
    assert thrown.status is StepStatus.error and "unknown tactic" in thrown.messages[0].text
