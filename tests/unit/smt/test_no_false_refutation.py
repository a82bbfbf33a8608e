"""Property: a random arithmetic statement that is true (by an independent Python reference) is never refuted."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prover.smt.engine import SmtEngine
from prover.types import SmtStatus

SORTS = {"ℕ": "nat", "ℤ": "int", "ℝ": "real"}


def reference(op: str, a: Fraction, b: Fraction, sort: str) -> Fraction:
    """Lean's operations, written from their definitions (independently of prover.smt.evaluate)."""
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "-":
        return max(a - b, Fraction(0)) if sort == "nat" else a - b
    if op == "/":
        if b == 0:
            return Fraction(0)
        if sort == "real":
            return a / b
        remainder = Fraction(int(a) % abs(int(b)))  # 0 ≤ r < |b|: Euclidean
        return (a - remainder) / b
    if op == "%":
        if b == 0:
            return a
        return Fraction(int(a) % abs(int(b)))
    raise AssertionError(op)


@st.composite
def term(draw: st.DrawFn, sort: str, env: dict[str, Fraction], depth: int = 0) -> tuple[str, Fraction]:
    lean = next(k for k, v in SORTS.items() if v == sort)
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(env)))
            return "{" + name + "}", env[name]
        low = 0 if sort == "nat" else -6
        k = draw(st.integers(low, 9))
        return (f"({k} : {lean})" if k < 0 or draw(st.booleans()) else str(k)), Fraction(k)
    ops = ["+", "-", "*", "/"] + (["%"] if sort != "real" else [])
    kind = draw(st.sampled_from([*ops, "^", "neg"] if sort != "nat" else [*ops, "^"]))
    left, left_value = draw(term(sort, env, depth + 1))
    if kind == "^":
        exponent = draw(st.integers(0, 3))
        return f"({left} ^ {exponent})", left_value**exponent
    if kind == "neg":
        return f"(-{left})", -left_value
    right, right_value = draw(term(sort, env, depth + 1))
    return f"({left} {kind} {right})", reference(kind, left_value, right_value, sort)


@st.composite
def true_case(draw: st.DrawFn) -> tuple[str, dict[str, Fraction], str]:
    """(Lean sort, variable values, a true proposition with ``{x}``/``{y}`` placeholders)."""
    lean = draw(st.sampled_from(sorted(SORTS)))
    sort = SORTS[lean]
    low = 0 if sort == "nat" else -5
    env = {"x": Fraction(draw(st.integers(low, 7))), "y": Fraction(draw(st.integers(low, 7)))}
    text, value = draw(term(sort, env))
    shown = (
        f"({value.numerator} / {value.denominator} : {lean})"
        if value.denominator != 1
        else f"({value} : {lean})"
    )
    relation = draw(st.sampled_from(["=", "≤", "≥", "≠"]))
    if relation == "≠":
        shown = f"({shown} + 1)"
    return lean, env, f"{text} {relation} {shown}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=true_case())
def test_true_statements_are_never_refuted(
    engine: SmtEngine, case: tuple[str, dict[str, Fraction], str]
) -> None:
    lean, env, proposition = case
    hypotheses = " ".join(f"(h{name} : {name} = ({value} : {lean}))" for name, value in env.items())
    statement = f"theorem t (x y : {lean}) {hypotheses} : {proposition.format(x='x', y='y')} := by"
    result = engine.decide_statement(statement)
    assert result.status is not SmtStatus.refuted, (statement, result)
    assert result.status in (SmtStatus.valid, SmtStatus.unknown), (statement, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=true_case())
def test_closed_true_statements_are_valid(
    engine: SmtEngine, case: tuple[str, dict[str, Fraction], str]
) -> None:
    lean, env, proposition = case
    closed = proposition.format(**{name: f"({value} : {lean})" for name, value in env.items()})
    result = engine.decide_statement(f"theorem t : {closed} := by")
    assert result.status is SmtStatus.valid, (closed, result)
