from prover.lean.masking import MaskAction, mask_errors, mask_step
from prover.types import Message, Pos, Severity

SKETCH = """theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 := by
  have h1 : 0 < 1 := by
    norm_num
    linarith
  have h2 : bad_statement := by
    simp
  linarith
"""


def error(line: int, column: int = 4, text: str = "failed") -> Message:
    return Message(severity=Severity.error, pos=Pos(line=line, column=column), text=text)


def test_deeper_failure_becomes_sorry_and_head_failure_is_commented_out() -> None:
    result = mask_errors(SKETCH, [error(4), error(5, 12)])
    assert [e.action for e in result.edits] == [MaskAction.sorry_step, MaskAction.comment_out]
    assert "    norm_num\n    sorry\n" in result.text
    assert "  -- have h2 : bad_statement := by\n    -- simp\n" in result.text
    assert result.text.count("\n") == SKETCH.count("\n")


def test_strict_mode_replaces_the_whole_step_proof() -> None:
    result = mask_errors(SKETCH, [error(4)], strict=True)
    assert [e.action for e in result.edits] == [MaskAction.sorry_body]
    assert "have h1 : 0 < 1 := by\n    sorry\n  have h2" in result.text


def test_error_outside_steps_appends_sorry_once() -> None:
    at_by = error(1, SKETCH.index(":= by") + 3, "unsolved goals\nx : ℝ")
    assert mask_errors(SKETCH, [at_by]).text == mask_errors(SKETCH, [error(1, 0, "unsolved goals")]).text
    result = mask_errors(SKETCH, [at_by])
    assert result.edits[0].action is MaskAction.append_sorry
    assert result.text.endswith("  linarith\n  sorry\n")
    again = mask_errors(result.text, [error(1, 0, "unsolved goals")])
    assert again.text == result.text  # the block already ends in sorry


def test_warnings_and_statement_errors_are_not_masked() -> None:
    warning = Message(severity=Severity.warning, pos=Pos(line=3, column=4), text="unused")
    result = mask_errors(SKETCH, [warning, Pos(line=1, column=20)])
    assert result.text == SKETCH
    assert result.unmasked == (Pos(line=1, column=20),)


def test_mask_loop_turns_strict_on_repeat_and_terminates() -> None:
    text = SKETCH
    result = None
    rounds = 0
    # A checker that keeps reporting an error inside h1's proof, wherever that proof now is.
    for rounds in range(1, 10):  # noqa: B007
        line = text.split("\n").index("  have h1 : 0 < 1 := by") + 2
        result = mask_step(text, [error(line)], result)
        if result.done:
            break
        text = result.text
    assert result is not None and result.done
    assert result.strict
    assert rounds < 10
    assert "have h1 : 0 < 1 := by\n    sorry\n" in text


def test_mask_step_without_errors_is_done() -> None:
    result = mask_step(SKETCH, [])
    assert result.done and result.text == SKETCH
