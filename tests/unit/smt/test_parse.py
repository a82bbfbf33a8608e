"""Lean 4 / Mathlib precedences and binder forms."""

from __future__ import annotations

from fractions import Fraction

import pytest

from prover.smt.core import OutsideFragment
from prover.smt.parse import SmtSyntaxError, parse_expression
from prover.smt.syntax import SApp, SAscribe, SBin, SBinder, SChain, SName, SNum, SUn


def test_multiplication_binds_tighter_than_addition_and_relations_tighter_than_and() -> None:
    parsed = parse_expression("a + b * c = d ∧ e")
    assert parsed == SBin(
        "∧",
        SBin("=", SBin("+", SName("a"), SBin("*", SName("b"), SName("c"))), SName("d")),
        SName("e"),
    )


def test_prefix_minus_applies_after_power() -> None:
    assert parse_expression("-x ^ 2") == SUn("-", SBin("^", SName("x"), SNum(Fraction(2))))


def test_power_is_right_associative_and_subtraction_left() -> None:
    assert parse_expression("a ^ b ^ c") == SBin("^", SName("a"), SBin("^", SName("b"), SName("c")))
    assert parse_expression("a - b - c") == SBin("-", SBin("-", SName("a"), SName("b")), SName("c"))


def test_implication_is_right_associative() -> None:
    assert parse_expression("p → q → r") == SBin("→", SName("p"), SBin("→", SName("q"), SName("r")))


def test_big_operator_body_stops_before_addition() -> None:
    parsed = parse_expression("∑ k in Finset.range n, k * 2 + 1")
    assert isinstance(parsed, SBin) and parsed.op == "+"
    assert isinstance(parsed.left, SBinder) and parsed.left.body == SBin("*", SName("k"), SNum(Fraction(2)))


def test_quantifier_binders_with_types_and_predicates() -> None:
    parsed = parse_expression("∀ (x : ℝ) (n : ℕ), ∃ y > 0, x < y")
    assert isinstance(parsed, SBinder) and parsed.names == (("x", "ℝ"), ("n", "ℕ"))
    inner = parsed.body
    assert isinstance(inner, SBinder) and inner.bound == (">", SNum(Fraction(0)))


def test_notations_abs_floor_sqrt_factorial_cast_ascription() -> None:
    assert parse_expression("|x|") == SApp("abs", (SName("x"),))
    assert parse_expression("⌊x⌋₊") == SApp("Nat.floor", (SName("x"),))
    assert parse_expression("√2 * x") == SBin("*", SUn("√", SNum(Fraction(2))), SName("x"))
    assert parse_expression("9! % 10") == SBin("%", SUn("!", SNum(Fraction(9))), SNum(Fraction(10)))
    assert parse_expression("(↑n : ℝ)") == SAscribe(SUn("↑", SName("n")), "ℝ")
    assert parse_expression("0.5") == SNum(Fraction(1, 2), decimal=True)


def test_relation_chain_and_dot_notation() -> None:
    assert parse_expression("0 < x ≤ 3") == SChain(
        ("<", "≤"), (SNum(Fraction(0)), SName("x"), SNum(Fraction(3)))
    )
    assert parse_expression("(Finset.range 3).card") == SApp(
        ".card", (SApp("Finset.range", (SNum(Fraction(3)),)),)
    )


@pytest.mark.parametrize("text", ["x +", "(x", "∃! x, x = 1", "fun", "x ⊆ y", "if x then 1 else 2"])
def test_text_outside_the_fragment_raises(text: str) -> None:
    with pytest.raises(OutsideFragment):
        parse_expression(text)


def test_syntax_errors_are_outside_the_fragment() -> None:
    assert issubclass(SmtSyntaxError, OutsideFragment)
