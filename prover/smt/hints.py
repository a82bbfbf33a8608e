"""Closing-tactic hints for goals Z3 found valid (or vacuous), most likely to succeed first.

Linear over ℕ/ℤ → ``omega``; linear over an ordered field → ``linarith``; polynomial → ``nlinarith`` with
products of hypotheses and squares of differences; closed numeric → ``norm_num``/``decide``; a variable
with numeric bounds → ``interval_cases``; ``0 < e`` / ``0 ≤ e`` / ``e ≠ 0`` → ``positivity``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from prover.smt.core import (
    Arith,
    ArithOp,
    BigOp,
    Call,
    Card,
    Cmp,
    CmpOp,
    Coe,
    Const,
    Dvd,
    Fn,
    Formula,
    Logic,
    Neg,
    Not,
    Num,
    Opaque,
    Pow,
    Pred,
    Quant,
    Query,
    Sort,
    Term,
    Var,
)

MAX_NLINARITH_TERMS = 6


@dataclass
class Features:
    """What a query uses, gathered in one walk."""

    sorts: set[Sort] = field(default_factory=set)
    nonlinear: bool = False
    quantified: bool = False
    special: bool = False  # sqrt, opaque functions, sums, primes: beyond omega/linarith's theory
    div_mod_by_variable: bool = False


def _degree(term: Term, features: Features) -> int:
    """Polynomial degree in the variables (large for anything non-polynomial); records features."""
    features.sorts.add(term.sort)
    match term:
        case Num():
            return 0
        case Var():
            return 1
        case Coe(arg=arg) | Neg(arg=arg):
            return _degree(arg, features)
        case Arith(op=op, left=left, right=right):
            a, b = _degree(left, features), _degree(right, features)
            match op:
                case ArithOp.add | ArithOp.sub:
                    return max(a, b)
                case ArithOp.mul:
                    return a + b
                case ArithOp.div | ArithOp.mod:
                    if b > 0:
                        features.div_mod_by_variable = True
                        return 99
                    return a
        case Pow(base=base, exponent=exponent):
            b = _degree(base, features)
            if isinstance(exponent, Num) and exponent.value.denominator == 1 and exponent.value >= 0:
                return b * int(exponent.value)
            return 99 if b else 0
        case Call(fn=fn, args=args):
            degrees = [_degree(arg, features) for arg in args]
            if fn in (Fn.abs, Fn.min, Fn.max):
                return max(degrees)
            if max(degrees, default=0) == 0:
                return 0
            features.special = True
            return 99
        case Opaque(args=args):
            for arg in args:
                _degree(arg, features)
            features.special = True
            return 1
        case BigOp() | Card():
            features.special = True
            return 1


def _scan(formula: Formula, features: Features) -> None:
    match formula:
        case Const():
            return
        case Cmp(left=left, right=right) | Dvd(left=left, right=right):
            if max(_degree(left, features), _degree(right, features)) > 1:
                features.nonlinear = True
        case Pred(arg=arg):
            features.special = True
            _degree(arg, features)
        case Not(arg=arg):
            _scan(arg, features)
        case Logic(left=left, right=right):
            _scan(left, features)
            _scan(right, features)
        case Quant(body=body):
            features.quantified = True
            _scan(body, features)


def _usable(name: str) -> bool:
    return ("✝" not in name and name.isidentifier()) or any(ch in name for ch in "₀₁₂₃₄₅₆₇₈₉'")


def _bounded_variables(query: Query) -> list[str]:
    """Integer variables with a numeral upper bound in some hypothesis (candidates for interval_cases)."""
    bounded: list[str] = []
    for var in query.variables:
        if not var.sort.is_integral:
            continue
        for hypothesis in query.hypotheses:
            if _has_upper_bound(hypothesis.formula, var.name):
                bounded.append(var.name)
                break
    return bounded


def _has_upper_bound(formula: Formula, name: str) -> bool:
    match formula:
        case Cmp(op=CmpOp.lt | CmpOp.le, left=Var(name=left), right=Num()):
            return left == name
        case Cmp(op=CmpOp.gt | CmpOp.ge, left=Num(), right=Var(name=right)):
            return right == name
        case Logic(left=left, right=right):
            return _has_upper_bound(left, name) or _has_upper_bound(right, name)
        case _:
            return False


def _nlinarith_terms(query: Query) -> list[str]:
    terms: list[str] = []
    facts = [h for h in query.hypotheses if _usable(h.name) and isinstance(h.formula, Cmp)]
    for first, second in combinations(facts, 2):
        a, b = first.formula, second.formula
        if not isinstance(a, Cmp) or not isinstance(b, Cmp):
            continue
        if a.op is CmpOp.lt and b.op is CmpOp.lt:
            terms.append(f"mul_pos (sub_pos.mpr {first.name}) (sub_pos.mpr {second.name})")
        elif a.op in (CmpOp.le, CmpOp.lt) and b.op in (CmpOp.le, CmpOp.lt):
            terms.append(f"mul_nonneg (sub_nonneg.mpr {first.name}.le) (sub_nonneg.mpr {second.name}.le)")
    names = [var.name for var in query.variables if _usable(var.name)]
    terms += [f"sq_nonneg ({x} - {y})" for x, y in combinations(names, 2)]
    terms += [f"sq_nonneg ({x} + {y})" for x, y in combinations(names, 2)]
    return terms[:MAX_NLINARITH_TERMS]


def _positivity_shape(goal: Formula) -> bool:
    match goal:
        case Cmp(op=CmpOp.lt | CmpOp.le, left=Num(value=value)):
            return value == Fraction(0)
        case Cmp(op=CmpOp.gt | CmpOp.ge, right=Num(value=value)):
            return value == Fraction(0)
        case Cmp(op=CmpOp.ne, right=Num(value=value)):
            return value == Fraction(0)
        case _:
            return False


def closing_hints(query: Query) -> tuple[str, ...]:
    """Tactics to try on a goal Z3 could not refute, in order of likely success."""
    if query.goal is None:
        return ()
    features = Features()
    for hypothesis in query.hypotheses:
        _scan(hypothesis.formula, features)
    _scan(query.goal, features)
    hints: list[str] = []
    integral = all(sort.is_integral for sort in features.sorts)
    if not query.variables and not query.functions:
        hints += ["norm_num", "decide"] if integral else ["norm_num"]
        hints += ["simp", "rfl"]
    elif features.special or features.quantified:
        hints += ["norm_num [*] at *", "simp_all", "nlinarith"]
    elif not features.nonlinear:
        if integral:
            hints += ["omega", "linarith"]
        else:
            hints += ["linarith", "nlinarith"]
    else:
        terms = _nlinarith_terms(query)
        hints.append(f"nlinarith [{', '.join(terms)}]" if terms else "nlinarith")
        hints.append("nlinarith")
    if integral and query.variables:
        for name in _bounded_variables(query)[:2]:
            hints.append(f"interval_cases {name} <;> omega")
    if _positivity_shape(query.goal):
        hints.insert(0 if not query.hypotheses else len(hints), "positivity")
    hints.append("norm_num")
    return tuple(dict.fromkeys(hints))
