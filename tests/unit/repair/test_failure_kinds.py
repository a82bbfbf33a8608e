"""Failure kinds from Lean's own wording, checked against the recorded REPL transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.lean.failure_kinds import (
    FailureKind,
    classify,
    classify_text,
    count_failures,
    count_result_failures,
    count_verdict_failures,
    merge_counts,
    primary_kind,
)
from prover.types import CheckResult, Message, Pos, Severity, Verdict


def _error(text: str, line: int = 1, column: int = 0) -> Message:
    return Message(severity=Severity.error, pos=Pos(line=line, column=column), text=text)


def _warning(text: str) -> Message:
    return Message(severity=Severity.warning, pos=Pos(line=1, column=0), text=text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("unknown identifier 'my_fake_premise'", FailureKind.unknown_identifier),
        ("Unknown identifier `g`", FailureKind.unknown_identifier),
        ("unknown constant 'Nat.pos_of_ne_zer'", FailureKind.unknown_identifier),
        ("Unknown constant `Real.sqrt_lt`", FailureKind.unknown_identifier),
        (
            "type mismatch\n  h\nhas type\n  a = b : Prop\nbut is expected to have type",
            FailureKind.type_mismatch,
        ),
        ("application type mismatch\n  f a\nargument", FailureKind.type_mismatch),
        ("unsolved goals\nx : Int\nh0 : x > 0\n⊢ x > 0", FailureKind.unsolved_goals),
        (
            "(deterministic) timeout at `whnf`, maximum number of heartbeats (200000) has been reached",
            FailureKind.timeout,
        ),
        ("maximum recursion depth has been reached", FailureKind.timeout),
        ("Lean process timed out", FailureKind.timeout),
        ("unexpected token 'at'; expected command", FailureKind.syntax),
        ("unexpected end of input; expected '{'", FailureKind.syntax),
        ("unexpected identifier; expected ':='", FailureKind.syntax),
        ("expected term", FailureKind.syntax),
        ("linarith failed to find a contradiction\ncase a\nx : ℝ\n⊢ False", FailureKind.linarith_failed),
        ("linarith failed", FailureKind.linarith_failed),
        ("type expected, got\n  (set Nat : ?m.8 PUnit)", FailureKind.other),
        ("don't know how to synthesize placeholder\ncontext:\n⊢ Nat", FailureKind.other),
        ("no goals to be solved", FailureKind.other),
    ],
)
def test_classify_lean_wording(text: str, kind: FailureKind) -> None:
    assert classify_text(text) is kind
    assert classify(_error(text)) is kind


def test_an_unsolved_goal_naming_linarith_is_still_unsolved_goals() -> None:
    # The kind is read from the start of the text: a goal that mentions a tactic or a name does not change it.
    assert (
        classify_text("unsolved goals\nh : unknown identifier\n⊢ linarith failed")
        is FailureKind.unsolved_goals
    )


def test_count_failures_counts_errors_only() -> None:
    messages = [
        _error("unknown identifier 'foo'"),
        _error("unknown constant 'bar'"),
        _error("linarith failed"),
        _warning("declaration uses 'sorry'"),
        _warning("unknown identifier 'not an error'"),
    ]
    assert count_failures(messages) == {FailureKind.unknown_identifier: 2, FailureKind.linarith_failed: 1}


def test_timeout_verdict_counts_as_timeout_without_messages() -> None:
    assert count_verdict_failures(Verdict.timeout, ()) == {FailureKind.timeout: 1}
    both = count_verdict_failures(Verdict.timeout, [_error("linarith failed")])
    assert both == {FailureKind.linarith_failed: 1, FailureKind.timeout: 1}
    assert count_result_failures(CheckResult(verdict=Verdict.crash)) == {FailureKind.other: 1}
    assert count_result_failures(CheckResult(verdict=Verdict.lean_error)) == {FailureKind.other: 1}
    assert count_result_failures(CheckResult(verdict=Verdict.valid)) == {}
    assert (
        count_result_failures(
            CheckResult(verdict=Verdict.sorry, messages=(_warning("declaration uses 'sorry'"),))
        )
        == {}
    )


def test_primary_kind_is_the_first_error_in_file_order() -> None:
    messages = [_error("linarith failed", line=5), _error("unknown identifier 'x'", line=3, column=4)]
    assert primary_kind(Verdict.lean_error, messages) is FailureKind.unknown_identifier
    assert primary_kind(Verdict.timeout, messages) is FailureKind.timeout
    assert primary_kind(Verdict.valid, ()) is None


def test_merge_counts_sums_in_enum_order() -> None:
    merged = merge_counts({FailureKind.other: 1, FailureKind.syntax: 2}, {FailureKind.unknown_identifier: 3})
    assert list(merged) == [FailureKind.unknown_identifier, FailureKind.syntax, FailureKind.other]
    assert merged[FailureKind.syntax] == 2


def _recorded_errors(root: Path) -> list[str]:
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("severity") == "error" and isinstance(node.get("data"), str):
                texts.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(root.rglob("*.expected.out")):
        for chunk in path.read_text(encoding="utf-8").split("\n\n"):
            if chunk.strip():
                try:
                    walk(json.loads(chunk))
                except json.JSONDecodeError:
                    continue
    return texts


def test_every_recorded_error_of_a_named_kind_is_classified_so(shared_dir: Path) -> None:
    texts = _recorded_errors(shared_dir / "data" / "lean-repl-transcripts")
    if not texts:
        pytest.skip("no error messages found in the recorded REPL transcripts")
    kinds = {text: classify_text(text) for text in texts}
    for text, kind in kinds.items():
        lowered = text.lower()
        if lowered.startswith(("unknown identifier", "unknown constant")):
            assert kind is FailureKind.unknown_identifier, text
        elif lowered.startswith("unsolved goals"):
            assert kind is FailureKind.unsolved_goals, text
        elif lowered.startswith("unexpected "):
            assert kind is FailureKind.syntax, text
    # Both spellings of the unknown-identifier error and Lean's unsolved goals are in the recordings.
    assert {FailureKind.unknown_identifier, FailureKind.unsolved_goals, FailureKind.syntax} <= set(
        kinds.values()
    )
