import pytest

from prover.lean.text import Span, expand_binders, offset_of, parse_file, pos_of
from prover.types import Pos

FILE = """import Mathlib
open Real Nat
set_option maxHeartbeats 400000

/-- A doc comment mentioning theorem fake : False -/
@[simp] private lemma helper {n : ℕ} (h : 0 < n) : n ≠ 0 := by
  omega

namespace Foo

theorem main (x : ℝ) (h₀ : x = 2 /- inline -/) :
    x + 1 = 3 := by
  have h : x + 1 = 2 + 1 := by rw [h₀]
  linarith

example : (1 : ℕ) = 1 := rfl

theorem with_where : aux = 1 := by
  rfl
where
  aux : ℕ := 1

end Foo

#print axioms Foo.main
"""


def test_header_and_declarations() -> None:
    parsed = parse_file(FILE)
    assert parsed.header == "import Mathlib\nopen Real Nat\nset_option maxHeartbeats 400000\n\n"
    assert parsed.header_end_line == 4
    assert [(d.kind, d.name) for d in parsed.declarations] == [
        ("lemma", "helper"),
        ("theorem", "main"),
        ("example", ""),
        ("theorem", "with_where"),
    ]
    assert parsed.header + FILE[len(parsed.header) :] == FILE
    assert [c.keyword for c in parsed.commands] == ["namespace", "end", "#print"]


def test_declaration_parts() -> None:
    parsed = parse_file(FILE)
    helper = parsed.declarations[0]
    assert helper.doc is not None and helper.doc.startswith("/--")
    assert helper.modifiers == "@[simp] private"
    assert helper.binders == "{n : ℕ} (h : 0 < n)"
    assert helper.type == "n ≠ 0"
    assert helper.signature == "lemma helper {n : ℕ} (h : 0 < n) : n ≠ 0"
    main = parsed.find("Foo.main")
    assert main is not None and main.namespace == "Foo" and main.full_name == "Foo.main"
    assert main.binders == "(x : ℝ) (h₀ : x = 2 /- inline -/)"
    assert main.type == "x + 1 = 3"
    assert (
        main.proof is not None and main.proof.startswith("by\n  have h") and main.proof.endswith("linarith")
    )
    assert main.is_tactic_proof and not main.has_sorry
    term = parsed.declarations[2]
    assert term.type == "(1 : ℕ) = 1" and term.proof == "rfl" and not term.is_tactic_proof


def test_where_clause_is_split_from_the_proof() -> None:
    with_where = parse_file(FILE).find("with_where")
    assert with_where is not None
    assert with_where.proof == "by\n  rfl"
    assert with_where.where_clause == "where\n  aux : ℕ := 1"


def test_positions_follow_the_repl_convention() -> None:
    parsed = parse_file(FILE)
    main = parsed.find("main")
    assert main is not None
    line = FILE.split("\n").index("theorem main (x : ℝ) (h₀ : x = 2 /- inline -/) :") + 1
    assert main.keyword_span.start == Pos(line=line, column=0)
    assert main.type_span is not None and main.type_span.start == Pos(line=line + 1, column=4)
    assert main.span.text_of(FILE).startswith("theorem main")


def test_sorries_skip_comments_and_names() -> None:
    text = "theorem t : True := by\n  -- sorry\n  have sorry_free : True := sorry\n  exact sorry_free\n"
    declaration = parse_file(text).declarations[0]
    assert declaration.has_sorry
    assert [s.start for s in declaration.sorries] == [Pos(line=3, column=28)]


def test_offset_and_pos_are_inverse_with_unicode() -> None:
    text = "αβ\n∀ x, ℝ\n"
    for offset in range(len(text) + 1):
        assert offset_of(text, pos_of(text, offset)) == offset
    assert pos_of(text, 5) == Pos(line=2, column=2)


def test_offset_of_rejects_missing_line() -> None:
    with pytest.raises(ValueError, match="outside"):
        offset_of("a\nb", Pos(line=9, column=0))


def test_span_text() -> None:
    span = Span(start=Pos(line=1, column=1), end=Pos(line=1, column=3), start_offset=1, end_offset=3)
    assert span.text_of("abcd") == "bc"


def test_broken_text_does_not_raise() -> None:
    parsed = parse_file("theorem broken (x : ℕ :=\n  /- unterminated")
    assert parsed.declarations[0].name == "broken"
    assert parse_file("").declarations == ()


def test_expand_binders() -> None:
    binders = expand_binders("(x y : ℝ) {f : ℕ → ℕ} [Fact p] [inst : Group G] ⦃z : ℤ⦄")
    assert [(b.name, b.type, b.bracket) for b in binders] == [
        ("x", "ℝ", "("),
        ("y", "ℝ", "("),
        ("f", "ℕ → ℕ", "{"),
        ("", "Fact p", "["),
        ("inst", "Group G", "["),
        ("z", "ℤ", "⦃"),
    ]


def test_indented_declarations_and_open_in() -> None:
    text = "section\n  open Real in\n  theorem t : π > 0 := pi_pos\nend\n"
    declaration = parse_file(text).declarations[0]
    assert declaration.name == "t" and declaration.modifiers == "open Real in"
