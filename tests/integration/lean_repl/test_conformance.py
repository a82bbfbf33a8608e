"""Acceptance: every recorded REPL transcript (HEAD, v4.15.0, v4.9.0) replayed through ``ReplBackend``.

The double answers with the recorded bytes; what is tested here is our side: framing over real pipes, and
that parsing loses nothing (each message, sorry, goal and id of the parsed value equals the expected JSON,
and ``raw`` is the expected JSON itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prover.lean.repl import ReplBackend
from prover.lean.repl_protocol import StateFactory, failure_of, parse_command_response, parse_tactic_response
from prover.settings import LeanSettings
from prover.types import Message, SorryGoal
from tests.fakes.repl_script import replay_command
from tests.fakes.repl_transcripts import TRANSCRIPTS, label, load_pair, transcript_pairs, working_dir

PAIRS = transcript_pairs()


def _pos(pos: Any) -> dict[str, int]:
    return {"line": pos.line, "column": pos.column}


def _message_json(message: Message, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"severity": message.severity.value, "pos": _pos(message.pos), "data": message.text}
    if message.end_pos is not None:
        out["endPos"] = _pos(message.end_pos)
    elif "endPos" in raw:  # older REPLs print "endPos": null
        out["endPos"] = None
    return out


def _messages(messages: tuple[Message, ...], expected: dict[str, Any]) -> list[dict[str, Any]]:
    raws = expected.get("messages", [])
    return [_message_json(m, r) for m, r in zip(messages, raws, strict=True)]


def _sorry_json(sorry: SorryGoal, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"goal": sorry.goal}
    if "pos" in raw:
        out["pos"] = _pos(sorry.pos)
    if sorry.end_pos is not None:
        out["endPos"] = _pos(sorry.end_pos)
    if sorry.state is not None:
        out["proofState"] = sorry.state.proof_state
    return out


def test_every_pair_of_the_three_versions_is_replayed(shared_dir: Path) -> None:
    """Counts from the transcripts README: core + Mathlib pairs per version (55+16, 38+13, 38+13)."""
    del shared_dir
    per_folder: dict[str, int] = {}
    for pair in PAIRS:
        folder = label(pair).split("test/")[0].rstrip("/") or "HEAD"
        per_folder[folder] = per_folder.get(folder, 0) + 1
    assert per_folder == {"HEAD": 71, "by-tag/v4.15.0": 51, "by-tag/v4.9.0": 51}


@pytest.mark.parametrize("transcript", PAIRS, ids=[label(p) for p in PAIRS])
async def test_transcript_round_trips_through_repl_backend(transcript: Path, shared_dir: Path) -> None:
    del shared_dir
    exchanges = load_pair(transcript)
    backend = ReplBackend(
        LeanSettings(workers=1, timeout_s=20), command=replay_command(transcript), cwd=working_dir(transcript)
    )
    states = StateFactory("repl", 0, 1)
    try:
        for request, expected, _text in exchanges:
            raw = await backend.exchange(request, timeout=20)
            assert raw == expected
            if failure_of(raw) is not None:
                continue
            if "proofState" in raw and "env" not in raw:
                step = parse_tactic_response(raw, state_of=states)
                assert step.raw == expected
                assert list(step.goals) == expected["goals"]
                assert step.state is not None and step.state.proof_state == expected["proofState"]
                assert _messages(step.messages, expected) == expected.get("messages", [])
            else:
                result = parse_command_response(raw, state_of=states)
                assert result.raw == expected
                assert result.env == expected["env"]
                assert _messages(result.messages, expected) == expected.get("messages", [])
                expected_sorries = expected.get("sorries", [])
                assert [_sorry_json(s, e) for s, e in zip(result.sorries, expected_sorries, strict=True)] == (
                    expected_sorries
                )
    finally:
        await backend.close()
    assert TRANSCRIPTS in transcript.parents
