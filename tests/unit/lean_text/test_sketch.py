import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prover.errors import LeanSourceError
from prover.lean.sketch import HoleKind, sorrify, splice
from prover.lean.text import Span, parse_file
from prover.types import Pos

PROOF = """import Mathlib

theorem t (n : ℕ) (h : 0 < n) : n ≠ 0 ∧ True := by
  -- Step 1
  have h1 : n ≠ 0 := by
    have inner : 0 < n := h
    omega
  have := h1
  obtain ⟨k, hk⟩ : ∃ k, n = k + 1 := ⟨n - 1, by omega⟩
  suffices h2 : True by exact ⟨h1, h2⟩
  show True from trivial
"""


def test_sorrify_cuts_top_level_steps_only() -> None:
    result = sorrify(PROOF)
    assert [(h.kind, h.label) for h in result.holes] == [
        (HoleKind.have, "h1"),
        (HoleKind.obtain, ""),
        (HoleKind.suffices, "h2"),
        (HoleKind.show_from, ""),
    ]
    assert result.holes[0].original == "have inner : 0 < n := h\n    omega"
    assert result.holes[0].statement == "n ≠ 0"
    assert result.holes[1].statement == "∃ k, n = k + 1"
    assert "  have h1 : n ≠ 0 := by\n    sorry\n  have := h1\n" in result.text
    assert "suffices h2 : True by sorry" in result.text
    assert "show True from sorry" in result.text
    assert all(h.span.text_of(result.text) == "sorry" for h in result.holes)
    assert splice(result.text, result.fills) == PROOF


def test_sorrified_text_still_parses_with_holes_as_sorries() -> None:
    result = sorrify(PROOF)
    declaration = parse_file(result.text).find("t")
    assert declaration is not None
    assert [s.start for s in declaration.sorries] == [h.span.start for h in result.holes]


def test_cases_alternatives_and_bullets() -> None:
    text = """theorem t (n : ℕ) : n = n := by
  induction n with
  | zero => rfl
  | succ k ih =>
    simp
  rcases Nat.even_or_odd n with h | h
  · rfl
  · exact rfl
  case inl => rfl
"""
    result = sorrify(text)
    assert [(h.kind, h.label) for h in result.holes] == [
        (HoleKind.alternative, "zero"),
        (HoleKind.alternative, "succ k ih"),
        (HoleKind.bullet, ""),
        (HoleKind.bullet, ""),
        (HoleKind.case, "inl"),
    ]
    assert "| succ k ih =>\n    sorry\n" in result.text
    assert splice(result.text, result.fills) == text


def test_continuation_lines_stay_with_their_step() -> None:
    text = "theorem t : 1 = 1 := by\n  have h : 1 = 1 := by\n    norm_num\n    <;>\n    simp\n  exact h\n"
    result = sorrify(text)
    assert len(result.holes) == 1
    assert result.holes[0].original == "norm_num\n    <;>\n    simp"


def test_term_proofs_and_steps_without_types_are_left_alone() -> None:
    text = (
        "theorem t : True := trivial\ntheorem u (h : P) : P := by\n  have := h\n  obtain ⟨⟩ := h\n  exact h\n"
    )
    result = sorrify(text)
    assert result.holes == () and result.text == text


def test_splice_rejects_overlap_and_foreign_spans() -> None:
    text = "abc\ndef"
    a = Span(start=Pos(line=1, column=0), end=Pos(line=1, column=2), start_offset=0, end_offset=2)
    b = Span(start=Pos(line=1, column=1), end=Pos(line=1, column=3), start_offset=1, end_offset=3)
    assert splice(text, [(a, "X")]) == "Xc\ndef"
    with pytest.raises(LeanSourceError, match="overlap"):
        splice(text, [(a, "X"), (b, "Y")])
    foreign = Span(start=Pos(line=2, column=0), end=Pos(line=2, column=1), start_offset=0, end_offset=1)
    with pytest.raises(LeanSourceError, match="does not match"):
        splice(text, [(foreign, "Z")])


# --------------------------------------------------------------------------- property: splice ∘ sorrify = id
NAMES = st.sampled_from(["h", "h₀", "hx'", "step1", "this_one", "α"])
TERMS = st.sampled_from(
    ["x + 1 = 2", "∀ y : ℝ, y ^ 2 ≥ 0", "|x - 1| < 2", "(a, b).1 = a", "f ⟨1, by simp⟩ = 1"]
)
LEAVES = st.sampled_from(["linarith", "nlinarith [sq_nonneg (x - 1)]", "simp at *", "exact h", "omega", "norm_num",
                          "rw [h] -- closing", "sorry", "exact foo /- note := by -/", 'trace "by := sorry"'])  # fmt: skip


@st.composite
def tactic_block(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        choice = draw(st.integers(min_value=0, max_value=5 if depth < 3 else 0))
        if choice == 0:
            lines.append(pad + draw(LEAVES))
        elif choice == 1:
            lines.append(f"{pad}have {draw(NAMES)} : {draw(TERMS)} := by")
            lines.extend(draw(tactic_block(indent + 2, depth + 1)))
        elif choice == 2:
            lines.append(f"{pad}have {draw(NAMES)} : {draw(TERMS)} := by {draw(LEAVES)}")
        elif choice == 3:
            lines.append(f"{pad}· {draw(LEAVES)}")
            lines.extend(draw(tactic_block(indent + 2, depth + 1)))
        elif choice == 4:
            lines.append(f"{pad}induction n with")
            lines.append(f"{pad}| zero => {draw(LEAVES)}")
            lines.append(f"{pad}| succ k ih =>")
            lines.extend(draw(tactic_block(indent + 2, depth + 1)))
        else:
            lines.append(f"{pad}-- a comment with have x : T := by")
            lines.append(f"{pad}obtain ⟨u, hu⟩ : ∃ u, {draw(TERMS)} := by")
            lines.extend(draw(tactic_block(indent + 2, depth + 1)))
    return lines


@st.composite
def lean_file(draw: st.DrawFn) -> str:
    theorems = []
    for index in range(draw(st.integers(min_value=1, max_value=3))):
        body = "\n".join(draw(tactic_block(2, 0)))
        theorems.append(f"theorem t{index} (x : ℝ) (h : {draw(TERMS)}) :\n    {draw(TERMS)} := by\n{body}\n")
    return "import Mathlib\n\n" + "\n".join(theorems)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lean_file())
def test_splice_inverts_sorrify(text: str) -> None:
    result = sorrify(text)
    assert splice(result.text, result.fills) == text
    assert all(h.span.text_of(result.text) == "sorry" for h in result.holes)
    # Exactly the top-level steps (indent 2) that carry a proof become holes.
    expected = [
        line for line in text.split("\n") if line.startswith(("  have ", "  · ", "  | ", "  obtain "))
    ]
    assert len(result.holes) == len(expected)
    # Sorrifying a sketch again cuts nothing new inside the holes: every hole is a bare `sorry`.
    again = sorrify(result.text)
    assert all(h.original == "sorry" for h in again.holes)
