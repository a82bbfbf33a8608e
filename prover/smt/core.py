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
    """The number types, ordered by Lean's coercion direction (ℕ → ℤ → ℚ → ℝ → ℂ).

    ``complex`` exists only during elaboration: a ℂ value becomes its real and imaginary parts (two ℝ terms,
    variables ``z.re`` and ``z.im``), so no core term, variable or Z3 symbol ever has this sort.
    """

    nat = 0
    int = 1
    rat = 2
    real = 3
    complex = 4

    @property
    def lean(self) -> str:
        return ("ℕ", "ℤ", "ℚ", "ℝ", "ℂ")[self.value]

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
    choose = "Nat.choose"
    nat_sqrt = "Nat.sqrt"
    nat_abs = "Int.natAbs"
    to_nat = "Int.toNat"
    num = "Rat.num"
    den = "Rat.den"
    zmod_inv = "ZMod.inv"  # args: (a, m): the inverse of a in ZMod m, as a representative in [0, m)


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
class Definition:
    """A function variable pinned by a hypothesis ``∀ x y, f x y = body`` (or ``∀ x, guard → f x = body``).

    ``body`` mentions only ``params``, the statement's variables and functions defined before this one, so the
    function ``fun params => body`` satisfies the hypothesis: a counterexample may use it as ``f``. Outside
    ``guard`` the hypothesis says nothing, and ``f`` has no value there.
    """

    name: str
    params: tuple[Var, ...]
    body: Term
    hypothesis: str
    guard: Formula | None = None


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
    # functions pinned by a hypothesis (that hypothesis stays listed), and finite sets pinned by one (dropped)
    definitions: tuple[Definition, ...] = ()
    pinned_sets: tuple[tuple[str, str], ...] = ()  # (set, hypothesis that fixes its members exactly)

    @property
    def constraints(self) -> tuple[Hypothesis, ...]:
        """The hypotheses a counterexample must satisfy: all but those defining functions (true by construction)."""
        defining = {d.hypothesis for d in self.definitions}
        return tuple(h for h in self.hypotheses if h.name not in defining)

    @property
    def defined(self) -> bool:
        """Every function variable has a definition: exact evaluation can use them all."""
        names = {d.name for d in self.definitions}
        return all(f.name in names for f in self.functions)


def used_hypotheses(query: Query) -> str:
    """How the query reads hypotheses as definitions (for the evidence a user checks by hand)."""
    parts = [f"{d.name} as defined by {d.hypothesis}" for d in query.definitions]
    parts += [f"{name} = the finite set {hypothesis} describes" for name, hypothesis in query.pinned_sets]
    return "; ".join(parts)


def conjoin(formulas: list[Formula]) -> Formula:
    if not formulas:
        return Const(True)
    result = formulas[-1]
    for formula in reversed(formulas[:-1]):
        result = Logic(Connective.and_, formula, result)
    return result


# ------------------------------------------------------------------------------------- traversals
Node = Term | Formula


def _binds(node: Node) -> tuple[list[Node], list[tuple[str, list[Node | None]]]]:
    """The children of ``node`` outside any binder it introduces, and (name, children under it) pairs."""
    match node:
        case Num() | Var() | Const():
            return [], []
        case Coe(arg=arg) | Neg(arg=arg):
            return [arg], []
        case Arith(left=left, right=right) | Cmp(left=left, right=right) | Dvd(left=left, right=right):
            return [left, right], []
        case Logic(left=left, right=right):
            return [left, right], []
        case Pow(base=base, exponent=exponent):
            return [base, exponent], []
        case Call(args=args) | Opaque(args=args):
            return list(args), []
        case Pred(arg=arg) | Not(arg=arg):
            return [arg], []
        case BigOp(domain=domain, body=body):
            return [domain.start, domain.stop], [*_range_binds(domain), (domain.var, [body])]
        case Card(domain=domain):
            return [domain.start, domain.stop], _range_binds(domain)
        case Quant(var=var, body=body, domain=domain):
            outside: list[Node] = [] if domain is None else [domain.start, domain.stop]
            return outside, [*([] if domain is None else _range_binds(domain)), (var, [body])]


def _range_binds(domain: Range) -> list[tuple[str, list[Node | None]]]:
    return [] if domain.where is None else [(domain.where_var or domain.var, [domain.where])]


def free_names(node: Node) -> set[str]:
    """Names of the free variables of a term or formula."""
    if isinstance(node, Var):
        return {node.name}
    outside, inside = _binds(node)
    found: set[str] = set()
    for child in outside:
        found |= free_names(child)
    for name, children in inside:
        for under in children:
            if under is not None:
                found |= free_names(under) - {name}
    return found


def function_names(node: Node) -> set[str]:
    """Names of the opaque functions (binder functions, ``Real.log``...) applied anywhere in ``node``."""
    outside, inside = _binds(node)
    found = {node.name} if isinstance(node, Opaque) else set()
    for child in [*outside, *(c for _, children in inside for c in children if c is not None)]:
        found |= function_names(child)
    return found


def rename(node: Node, old: str, new: str) -> Node:
    """``node`` with the free variable (or function) ``old`` renamed ``new`` (a fresh name: no capture)."""
    match node:
        case Var(name=name, sort=sort):
            return Var(new, sort) if name == old else node
        case Num() | Const():
            return node
        case Coe(arg=arg, sort=sort):
            return Coe(_rename_term(arg, old, new), sort)
        case Neg(arg=arg, sort=sort):
            return Neg(_rename_term(arg, old, new), sort)
        case Arith(op=op, left=left, right=right, sort=sort):
            return Arith(op, _rename_term(left, old, new), _rename_term(right, old, new), sort)
        case Pow(base=base, exponent=exponent, sort=sort):
            return Pow(_rename_term(base, old, new), _rename_term(exponent, old, new), sort)
        case Call(fn=fn, args=args, sort=sort):
            return Call(fn, tuple(_rename_term(a, old, new) for a in args), sort)
        case Opaque(name=name, args=args, arg_sorts=arg_sorts, sort=sort):
            renamed = tuple(_rename_term(a, old, new) for a in args)
            return Opaque(new if name == old else name, renamed, arg_sorts, sort)
        case BigOp(product=product, domain=domain, body=body, sort=sort):
            inner = body if domain.var == old else _rename_term(body, old, new)
            return BigOp(product, _rename_range(domain, old, new), inner, sort)
        case Card(domain=domain, sort=sort):
            return Card(_rename_range(domain, old, new), sort)
        case Cmp(op=op, left=left, right=right):
            return Cmp(op, _rename_term(left, old, new), _rename_term(right, old, new))
        case Dvd(left=left, right=right):
            return Dvd(_rename_term(left, old, new), _rename_term(right, old, new))
        case Pred(predicate=predicate, arg=arg):
            return Pred(predicate, _rename_term(arg, old, new))
        case Not(arg=arg):
            return Not(rename_formula(arg, old, new))
        case Logic(op=op, left=left, right=right):
            return Logic(op, rename_formula(left, old, new), rename_formula(right, old, new))
        case Quant(forall=forall, var=var, sort=sort, body=body, domain=domain):
            matrix = body if var == old else rename_formula(body, old, new)
            bounded = None if domain is None else _rename_range(domain, old, new)
            return Quant(forall, var, sort, matrix, bounded)


def _rename_term(term: Term, old: str, new: str) -> Term:
    renamed = rename(term, old, new)
    assert not isinstance(renamed, Const | Cmp | Dvd | Pred | Not | Logic | Quant)
    return renamed


def rename_formula(formula: Formula, old: str, new: str) -> Formula:
    renamed = rename(formula, old, new)
    assert isinstance(renamed, Const | Cmp | Dvd | Pred | Not | Logic | Quant)
    return renamed


def _rename_range(domain: Range, old: str, new: str) -> Range:
    where = domain.where
    if where is not None and (domain.where_var or domain.var) != old:
        where = rename_formula(where, old, new)
    start, stop = _rename_term(domain.start, old, new), _rename_term(domain.stop, old, new)
    return Range(domain.var, domain.sort, start, stop, where, domain.where_var)
