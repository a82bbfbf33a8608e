"""The typed core language: Lean arithmetic after elaboration, every node carrying its Lean sort.

The elaborator (``prover.smt.elaborate``) produces it from surface syntax; the translator (to Z3), the exact
evaluator and the small-instance search consume it. Casts are explicit (``Coe``) and every operator knows the
sort whose semantics it has (ℕ subtraction truncates, ℤ division is Euclidean, ...). Nodes are frozen dataclasses
(picklable, so they cross into the Z3 worker process) and form closed unions handled with ``match``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from fractions import Fraction


class OutsideFragment(ValueError):
    """The text uses something the engine does not model exactly; the message names it."""


class Sort(IntEnum):
    """The number types, ordered by Lean's coercion direction (ℕ → ℤ → ℚ → ℝ)."""

    nat = 0
    int = 1
    rat = 2
    real = 3

    @property
    def lean(self) -> str:
        return ("ℕ", "ℤ", "ℚ", "ℝ")[self.value]

    @property
    def is_integral(self) -> bool:
        return self <= Sort.int


class ArithOp(StrEnum):
    add = "+"
    sub = "-"
    mul = "*"
    div = "/"
    mod = "%"


class CmpOp(StrEnum):
    eq = "="
    ne = "≠"
    lt = "<"
    le = "≤"
    gt = ">"
    ge = "≥"


class Connective(StrEnum):
    and_ = "∧"
    or_ = "∨"
    implies = "→"
    iff = "↔"


class Fn(StrEnum):
    """Interpreted functions with Lean's totalised semantics (see ``prover.smt.evaluate``)."""

    abs = "abs"
    min = "min"
    max = "max"
    sqrt = "Real.sqrt"
    factorial = "Nat.factorial"
    floor = "Int.floor"
    ceil = "Int.ceil"
    nat_floor = "Nat.floor"
    gcd = "gcd"
    lcm = "lcm"
    inv = "⁻¹"


class Predicate(StrEnum):
    even = "Even"
    odd = "Odd"
    prime = "Nat.Prime"


# ------------------------------------------------------------------------------------------- terms
@dataclass(frozen=True, slots=True)
class Num:
    value: Fraction
    sort: Sort


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    sort: Sort


@dataclass(frozen=True, slots=True)
class Arith:
    op: ArithOp
    left: Term
    right: Term
    sort: Sort


@dataclass(frozen=True, slots=True)
class Neg:
    arg: Term
    sort: Sort


@dataclass(frozen=True, slots=True)
class Pow:
    """``base ^ exponent``: ``Monoid.npow`` when the exponent is ℕ, ``zpow`` when it is ℤ (fields only)."""

    base: Term
    exponent: Term
    sort: Sort


@dataclass(frozen=True, slots=True)
class Coe:
    """The cast ``↑arg`` from ``arg``'s sort up to ``sort`` (injective and order-preserving)."""

    arg: Term
    sort: Sort


@dataclass(frozen=True, slots=True)
class Call:
    fn: Fn
    args: tuple[Term, ...]
    sort: Sort


@dataclass(frozen=True, slots=True)
class Opaque:
    """A function Lean knows but we do not interpret (``Real.log``, ``f`` from a binder): only equal on equal args."""

    name: str
    args: tuple[Term, ...]
    arg_sorts: tuple[Sort, ...]
    sort: Sort


@dataclass(frozen=True, slots=True)
class Range:
    """The integers ``start ≤ var < stop`` (``Finset.range n``: 0 to n; ``Finset.Icc a b``: a to b + 1).

    ``where`` filters it (``Finset.filter (fun where_var => ...)``), with ``where_var`` bound in it.
    """

    var: str
    sort: Sort
    start: Term
    stop: Term
    where: Formula | None = None
    where_var: str = ""


@dataclass(frozen=True, slots=True)
class BigOp:
    """``∑``/``∏`` of ``body`` over a finite range (``product`` false: sum)."""

    product: bool
    domain: Range
    body: Term
    sort: Sort


@dataclass(frozen=True, slots=True)
class Card:
    domain: Range
    sort: Sort = Sort.nat


Term = Num | Var | Arith | Neg | Pow | Coe | Call | Opaque | BigOp | Card


# ---------------------------------------------------------------------------------------- formulas
@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class Cmp:
    op: CmpOp
    left: Term
    right: Term


@dataclass(frozen=True, slots=True)
class Dvd:
    left: Term
    right: Term


@dataclass(frozen=True, slots=True)
class Pred:
    predicate: Predicate
    arg: Term


@dataclass(frozen=True, slots=True)
class Not:
    arg: Formula


@dataclass(frozen=True, slots=True)
class Logic:
    op: Connective
    left: Formula
    right: Formula


@dataclass(frozen=True, slots=True)
class Quant:
    """``∀``/``∃`` over one variable; ``domain`` set when it ranges over a finite range."""

    forall: bool
    var: str
    sort: Sort
    body: Formula
    domain: Range | None = None


Formula = Const | Cmp | Dvd | Pred | Not | Logic | Quant


@dataclass(frozen=True, slots=True)
class FunctionDecl:
    """A function variable of the statement (``f : ℝ → ℝ``), uninterpreted."""

    name: str
    arg_sorts: tuple[Sort, ...]
    sort: Sort


@dataclass(frozen=True, slots=True)
class Hypothesis:
    name: str
    formula: Formula


@dataclass(frozen=True, slots=True)
class Query:
    """One decision problem: free variables, hypotheses and a target, all elaborated.

    ``dropped`` names hypotheses we could not elaborate. They were left out, which keeps ``valid`` and
    ``vacuous`` sound (fewer hypotheses only make both harder) but forbids ``refuted``.
    """

    variables: tuple[Var, ...]
    functions: tuple[FunctionDecl, ...]
    hypotheses: tuple[Hypothesis, ...]
    goal: Formula | None  # None: the target itself is unsupported
    dropped: tuple[str, ...] = ()
    goal_problem: str = ""  # why the goal is None


def conjoin(formulas: list[Formula]) -> Formula:
    if not formulas:
        return Const(True)
    result = formulas[-1]
    for formula in reversed(formulas[:-1]):
        result = Logic(Connective.and_, formula, result)
    return result
