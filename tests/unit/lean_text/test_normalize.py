import pytest

from prover.lean.normalize import extract_code, normalize_syntax

LEAN3 = """theorem foo (x : ℕ) (h : x = 2) : x + 0 = 2 :=
begin
  rw h,
  rw ← h at h2,
  cases h2 with a b,
  induction x with n ih,
  norm_num at *,
  have h3 : x = 2, by simp [h],
  have h4 : x = 2, from h,
  assume y z,
  split,
  { norm_num },
  exact λ y, y + 1, -- comment, with comma
end
"""


def test_lean3_proof_becomes_lean4() -> None:
    assert (
        normalize_syntax(LEAN3)
        == """theorem foo (x : ℕ) (h : x = 2) : x + 0 = 2 := by
  rw [h]
  rw [← h] at h2
  cases' h2 with a b
  induction' x with n ih
  norm_num at *
  have h3 : x = 2 := by simp [h]
  have h4 : x = 2 := h
  intro y z
  constructor
  · norm_num
  exact fun y => y + 1 -- comment, with comma
"""
    )


def test_normalising_is_idempotent() -> None:
    once = normalize_syntax(LEAN3)
    assert normalize_syntax(once) == once


@pytest.mark.parametrize(
    "valid",
    [
        "theorem t : ∀ x : ℕ,\n    x = x := by\n  intro x\n  rfl\n",
        "theorem t (h : a ∧ b) : b := by\n  cases h with\n  | intro l r => exact r\n",
        "theorem t : P := by\n  exact ⟨fun ⟨a, b⟩ => a, by simp, by linarith⟩\n",
        'theorem t : True := by\n  -- rw h, begin end\n  trivial -- "λ x, y"\n',
        "theorem t : (∑ i in Finset.range 3,\n    i) = 3 := by\n  decide\n",
    ],
)
def test_valid_lean4_is_left_alone(valid: str) -> None:
    assert normalize_syntax(valid) == valid


def test_missing_by_and_missing_assign() -> None:
    assert normalize_syntax("theorem t : 1 = 1 :=\n  norm_num\n") == "theorem t : 1 = 1 := by\n  norm_num\n"
    assert normalize_syntax("theorem t : 1 = 1 by\n  norm_num\n") == "theorem t : 1 = 1 := by\n  norm_num\n"


def test_extract_last_lean_block_outside_thinking() -> None:
    output = (
        "<think>\n```lean4\ntheorem wrong : False := by sorry\n```\n</think>\n"
        "First try:\n```lean\ntheorem a : 1 = 1 := by simp\n```\nBetter:\n```lean4\ntheorem a : 1 = 1 := by\n  rfl\n```\n"
    )
    assert extract_code(output) == "theorem a : 1 = 1 := by\n  rfl\n"


def test_extract_unterminated_fence_and_repeated_header() -> None:
    output = "Proof:\n```lean4\ntheorem a (x : ℕ) : x = x := by\ntheorem a (x : ℕ) : x = x := by\n  rfl"
    assert extract_code(output) == "theorem a (x : ℕ) : x = x := by\n  rfl\n"


def test_extract_without_fences_or_code() -> None:
    assert extract_code("I cannot prove this.") is None
    assert extract_code("<think>only thoughts, cut off") is None
    assert extract_code("Here it is.\ntheorem a : True := trivial") == "theorem a : True := trivial\n"
    assert extract_code("reasoning...</think>\n```lean4\ntheorem a : True := trivial\n```") == (
        "theorem a : True := trivial\n"
    )
