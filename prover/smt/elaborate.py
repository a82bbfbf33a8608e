"""Surface syntax → typed core, following how Lean 4 elaborates arithmetic.

The rule that matters is Lean's ``binop%``/``binrel%`` elaborator: in a tree of ``+ - * / %`` (and the base of
``^``, prefix ``-``, ``⁻¹``) joined by a relation, every leaf is elaborated on its own; the tree's type is the
largest leaf type (ℕ < ℤ < ℚ < ℝ, and an ascription's type counts); leaves of smaller types are cast up *at the
leaf*. So ``(5 : ℕ) - 7 + 7 = 7`` is ℕ arithmetic (truncating), and ``(u + v : ℚ) / 2`` with ``u v : ℕ``
is ``(↑u + ↑v) / 2`` in ℚ. A ``^`` exponent is its own tree: numerals there default to ℕ (``Monoid.npow``),
so ``x ^ (1 / 3)`` is ``x ^ 0``. A tree with no typed leaf defaults to ℕ, as Lean's numerals do.

Goal text printed by Lean loses numeral types (``(2 : ℝ)`` prints as ``2``); in goal mode an untyped tree is
accepted only where every number type gives it the same truth, otherwise it is ``OutsideFragment``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

from prover.smt.core import (
    Arith,
    ArithOp,
    BigOp,
    Call,
    Card,
    Cmp,
    CmpOp,
    Coe,
    Connective,
    Const,
    Dvd,
    Fn,
    Formula,
    FunctionDecl,
    Logic,
    Neg,
    Not,
    Num,
    Opaque,
    OutsideFragment,
    Pow,
    Pred,
    Predicate,
    Quant,
    Range,
    Sort,
    Term,
    Var,
    conjoin,
    free_names,
)
from prover.smt.evaluate import Evaluator, Unevaluable
from prover.smt.parse import parse_expression
from prover.smt.syntax import SApp, SAscribe, SBin, SBinder, SChain, SName, SNum, SUn, Surface

SORT_NAMES = {"ℕ": Sort.nat, "Nat": Sort.nat, "ℤ": Sort.int, "Int": Sort.int, "ℚ": Sort.rat, "Rat": Sort.rat}
SORT_NAMES |= {"ℝ": Sort.real, "Real": Sort.real, "ℂ": Sort.complex, "Complex": Sort.complex}
ARITH_OPS = {"+": ArithOp.add, "-": ArithOp.sub, "*": ArithOp.mul, "/": ArithOp.div, "%": ArithOp.mod}
CMP_OPS = {"=": CmpOp.eq, "≠": CmpOp.ne, "<": CmpOp.lt, "≤": CmpOp.le, ">": CmpOp.gt, "≥": CmpOp.ge}
CONNECTIVES = {"∧": Connective.and_, "∨": Connective.or_, "→": Connective.implies, "↔": Connective.iff}
# Real functions kept uninterpreted: sound for valid/vacuous, never used to confirm a counterexample.
REAL_OPAQUE = {
    "Real.log": 1,
    "Real.exp": 1,
    "Real.sin": 1,
    "Real.cos": 1,
    "Real.tan": 1,
    "Real.arctan": 1,
    "Real.logb": 2,
    "Real.arcsin": 1,
    "Real.arccos": 1,
    "Real.sinh": 1,
    "Real.cosh": 1,
}
OPEN_NAMESPACES = ("Real.", "Nat.", "Int.", "Finset.")  # the datasets' header: open Real Nat ...
NAT_FUNCTIONS = {
    "Nat.factorial": Fn.factorial,
    "Nat.gcd": Fn.gcd,
    "Nat.lcm": Fn.lcm,
    "Nat.floor": Fn.nat_floor,
    "Nat.choose": Fn.choose,
    "Nat.sqrt": Fn.nat_sqrt,
}
NAT_VALUED = {
    *NAT_FUNCTIONS,
    "Nat.succ",
    "Nat.ceil",
    "Int.natAbs",
    "Int.toNat",
    "Rat.den",
    ".card",
    "Finset.card",
    ".ncard",
    "Set.ncard",
}
# Nat.divisors n := (Finset.Ico 1 (n + 1)).filter (· ∣ n); Nat.properDivisors n := (Finset.Ico 1 n).filter (· ∣ n)
DIVISOR_SETS = {"Nat.divisors", ".divisors", "Nat.properDivisors", ".properDivisors"}
# dot-notation and namespaced names of the functions above, as written on a value (`n.choose 2`, `q.num`)
DOT_FUNCTIONS = {
    ".choose": "Nat.choose",
    ".sqrt": "Nat.sqrt",
    ".succ": "Nat.succ",
    ".factorial": "Nat.factorial",
    ".natAbs": "Int.natAbs",
    ".toNat": "Int.toNat",
    ".num": "Rat.num",
    ".den": "Rat.den",
    ".re": "Complex.re",
    ".im": "Complex.im",
}
COMPLEX_TO_REAL = {"Complex.abs", "Complex.re", "Complex.im", "Complex.normSq"}
MAX_COMPLEX_POWER = 8
CLOSED_BUDGET_S = 0.2  # evaluating one closed relation whose number type the goal text hides
RANGE_SETS = {"Finset.range", "Finset.Icc", "Finset.Ico", "Finset.Ioc", "Finset.Ioo"}
INTERVAL_SETS = {
    "Set.Icc",
    "Set.Ico",
    "Set.Ioc",
    "Set.Ioo",
    "Finset.Icc",
    "Finset.Ico",
    "Finset.Ioc",
    "Finset.Ioo",
}


def parse_sort(type_text: str) -> Sort | None:
    return SORT_NAMES.get(type_text.strip())


def parse_function_type(type_text: str) -> tuple[tuple[Sort, ...], Sort] | None:
    parts = [part.strip() for part in type_text.split("→")]
    if len(parts) < 2:
        return None
    sorts = [parse_sort(part) for part in parts]
    if any(sort is None or sort is Sort.complex for sort in sorts):
        return None
    known = [sort for sort in sorts if sort is not None]
    return tuple(known[:-1]), known[-1]


def _max(left: Sort | None, right: Sort | None) -> Sort | None:
    if left is None:
        return right
    if right is None:
        return left
    return max(left, right)


@dataclass
class Scope:
    """Names in scope: free variables and functions of the statement, plus bound variables."""

    variables: dict[str, Sort]
    functions: dict[str, FunctionDecl]
    goal_mode: bool = False
    bound: dict[str, Sort] = field(default_factory=dict)
    sets: dict[str, Range] = field(default_factory=dict)  # finite sets pinned by a hypothesis
    zmod: dict[str, int] = field(default_factory=dict)  # ZMod m variables (ℤ representatives) -> m

    def with_bound(self, name: str, sort: Sort) -> Scope:
        bound = {**self.bound, name: sort}
        zmod = {k: v for k, v in self.zmod.items() if k != name}
        return Scope(self.variables, self.functions, self.goal_mode, bound, self.sets, zmod)

    def sort_of(self, name: str) -> Sort | None:
        if name in self.bound:
            return self.bound[name]
        return self.variables.get(name)


def resolve(name: str, scope: Scope) -> str:
    """The full name of a constant, trying the namespaces the datasets open (``sqrt`` → ``Real.sqrt``)."""
    if scope.sort_of(name) is not None or name in scope.functions or name in scope.sets:
        return name
    if name in ("sqrt", "√"):
        return "Real.sqrt"
    if name in DOT_FUNCTIONS:
        return DOT_FUNCTIONS[name]
    for namespace in OPEN_NAMESPACES:
        full = namespace + name
        if (
            full in REAL_OPAQUE
            or full in NAT_VALUED
            or full in RANGE_SETS
            or full in DIVISOR_SETS
            or full in ("Real.sqrt", "Real.pi", "Nat.ModEq", "Int.ModEq", "Nat.Coprime")
        ):
            return full
    aliases = {
        "Nat.Prime": "Nat.Prime",
        "Prime": "Prime",
        "π": "Real.pi",
    }
    return aliases.get(name, name)


# ------------------------------------------------------------------------------------ intrinsic sorts
def field_access(surface: Surface, scope: Scope) -> Surface:
    """``S.card`` read as one name (the tokenizer joins capitalised dotted names) is ``.card`` on ``S`` when
    ``S`` is in scope: generalized field notation."""
    if isinstance(surface, SName) and "." in surface.name:
        head, field_name = surface.name.split(".", 1)
        if scope.sort_of(head) is not None or head in scope.sets or head in scope.functions:
            result: Surface = SName(head)
            for part in field_name.split("."):
                result = SApp("." + part, (result,))
            return result
    return surface


def infer(surface: Surface, scope: Scope) -> Sort | None:
    """The type a leaf (or tree) has on its own, or None when only context decides (numerals, ``↑e``)."""
    surface = field_access(surface, scope)
    match surface:
        case SNum():
            return None
        case SName(name=name):
            full = resolve(name, scope)
            sort = scope.sort_of(full)
            if sort is not None:
                return sort
            if full == "Real.pi":
                return Sort.real
            if full == "Complex.I":
                return Sort.complex
            raise OutsideFragment(f"unknown name {name!r}")
        case SBin(op=op, left=left, right=right) if op in ARITH_OPS:
            return _max(infer(left, scope), infer(right, scope))
        case SBin(op="^", left=left):
            return infer(left, scope)
        case SUn(op="-" | "⁻¹", arg=arg):
            return infer(arg, scope)
        case SUn(op="↑"):
            return None
        case SUn(op="!"):
            return Sort.nat
        case SUn(op="√"):
            return Sort.real
        case SAscribe(type_text=type_text):
            sort = parse_sort(type_text)
            if sort is None:
                raise OutsideFragment(f"type {type_text!r} is not a number type")
            return sort
        case SApp(fn=fn, args=args):
            return _infer_app(resolve(fn, scope), args, scope)
        case SBinder(kind="∑" | "∏") as binder:
            inner, _ = _bind_range(binder, scope)
            return infer(binder.body, inner)
        case _:
            raise OutsideFragment(f"not a number expression: {_show(surface)}")


EQUIV_FIELDS = {".1": "", ".toFun": "", ".2": ".symm", ".invFun": ".symm", ".symm": ".symm"}


def equiv_call(fn: str, args: tuple[Surface, ...], scope: Scope) -> tuple[str, tuple[Surface, ...]]:
    """``σ.1 x`` / ``σ.toFun x`` is ``σ x``, and ``σ.2 x`` / ``σ.invFun x`` / ``σ.symm x`` is ``σ.symm x``
    (Equiv.toFun_as_coe, Equiv.invFun_as_coe) for an equivalence ``σ`` of the statement."""
    if fn in EQUIV_FIELDS and len(args) > 1 and isinstance(args[0], SName):
        target = args[0].name + EQUIV_FIELDS[fn]
        if args[0].name in scope.functions and f"{args[0].name}.symm" in scope.functions:
            return target, args[1:]
    return fn, args


def _infer_app(fn: str, args: tuple[Surface, ...], scope: Scope) -> Sort | None:
    fn, args = equiv_call(fn, args, scope)
    if fn in (".val", "ZMod.val"):
        return Sort.nat
    if fn in scope.functions:
        return scope.functions[fn].sort
    if fn in REAL_OPAQUE or fn in ("Real.sqrt", "NNReal.sqrt") or fn in COMPLEX_TO_REAL:
        return Sort.real
    if fn in ("abs", "min", "max"):
        result: Sort | None = None
        for arg in args:
            result = _max(result, infer(arg, scope))
        return result
    if fn in NAT_VALUED:
        return Sort.nat
    if fn == "Rat.num":
        return Sort.int
    if fn in (".gcd", ".lcm", "Int.gcd", "Int.lcm"):
        return Sort.nat
    if fn in ("Int.floor", "Int.ceil"):
        return Sort.int
    raise OutsideFragment(f"function {fn!r} is not supported")


# ------------------------------------------------------------------------------------------ terms
def coerce(term: Term, source: Sort, target: Sort) -> Term:
    if source == target:
        return term
    if source > target:
        raise OutsideFragment(f"a {source.lean} value where {target.lean} is expected")
    return Coe(term, target)


def _tree_ops(surface: Surface, scope: Scope) -> set[str]:
    """Operators of the binop% tree (not inside leaves) and marks for decimal numerals."""
    match surface:
        case SBin(op=op, left=left, right=right) if op in ARITH_OPS:
            return {op} | _tree_ops(left, scope) | _tree_ops(right, scope)
        case SBin(op="^", left=left):
            return _tree_ops(left, scope)
        case SUn(op="-" | "⁻¹" as op, arg=arg):
            return {"neg" if op == "-" else "/"} | _tree_ops(arg, scope)
        case SNum(decimal=True):
            return {"decimal"}
        case SUn(op="↑", arg=arg):
            return {f"cast:{int(infer(arg, scope) or Sort.nat)}"}
        case SApp(fn=fn, args=args) if resolve(fn, scope) in ("abs", "min", "max"):
            # polymorphic leaves take the tree's type: what they contain decides too
            return set().union(*(_tree_ops(arg, scope) for arg in args))
        case SBinder(kind="∑" | "∏") as binder:
            inner, _ = _bind_range(binder, scope)
            return _tree_ops(binder.body, inner) if infer(binder.body, inner) is None else set()
        case _:
            return set()


def tree_sort(items: list[Surface], scope: Scope) -> Sort:
    """The sort Lean gives a relation's operands: the largest leaf sort, or the default for untyped trees."""
    result: Sort | None = None
    for item in items:
        result = _max(result, infer(item, scope))
    if result is not None:
        return result
    if not scope.goal_mode:
        return Sort.nat
    # Goal text: the type was printed away. Accept the smallest sort any cast allows only when every
    # larger sort gives the same truth (ℕ/ℤ differ on -, integers/fields on / % ⁻¹ and decimals).
    ops: set[str] = set()
    for item in items:
        ops |= _tree_ops(item, scope)
    floor = max((Sort(int(op.split(":")[1])) for op in ops if op.startswith("cast:")), default=Sort.nat)
    if ops & {"-", "neg"} and floor == Sort.nat:
        raise OutsideFragment("goal text hides the number type of a subtraction")
    if "%" in ops and not ops & {"/", "decimal"} and floor <= Sort.int:
        # `%` exists on ℕ and ℤ only (no `Mod` on ℚ or ℝ); without subtraction every value is ≥ 0, where
        # Nat.mod and Int.emod agree (Int.ofNat_emod)
        return floor
    if ops & {"/", "%", "decimal"} and floor < Sort.rat:
        raise OutsideFragment("goal text hides the number type of a division")
    return floor


def elab_term(surface: Surface, target: Sort, scope: Scope) -> Term:
    """Elaborate ``surface`` as a tree node of sort ``target``, casting leaves up where Lean would."""
    if target is Sort.complex:
        raise OutsideFragment("a ℂ value outside an equation")
    match surface:
        case SBin(op=op, left=left, right=right) if op in ARITH_OPS:
            arith = ARITH_OPS[op]
            if arith is ArithOp.mod and not target.is_integral:
                raise OutsideFragment(f"% on {target.lean}")
            return Arith(arith, elab_term(left, target, scope), elab_term(right, target, scope), target)
        case SBin(op="^", left=base, right=exponent):
            return _elab_pow(base, exponent, target, scope)
        case SUn(op="-", arg=arg):
            if target is Sort.nat:
                raise OutsideFragment("negation of a natural number")
            return Neg(elab_term(arg, target, scope), target)
        case SUn(op="⁻¹", arg=arg):
            if target.is_integral:
                raise OutsideFragment(f"⁻¹ on {target.lean}")
            return Call(Fn.inv, (elab_term(arg, target, scope),), target)
        case SNum(value=value, decimal=decimal):
            if decimal and target.is_integral:
                raise OutsideFragment(f"decimal literal in {target.lean}")
            return Num(value, target)
        case SUn(op="↑", arg=arg):
            source = infer(arg, scope) or Sort.nat
            return coerce(elab_term(arg, source, scope), source, target)
        case _:
            own = infer(surface, scope)
            sort = target if own is None else own
            return coerce(_elab_leaf(surface, sort, scope), sort, target)


def _elab_pow(base: Surface, exponent: Surface, target: Sort, scope: Scope) -> Term:
    exponent_sort = infer(exponent, scope)
    if exponent_sort is None:
        if scope.goal_mode and not isinstance(exponent, SNum):
            raise OutsideFragment("goal text hides the type of an exponent")
        exponent_sort = Sort.nat  # Monoid.npow: numeral exponents default to ℕ
    if exponent_sort is Sort.int and target.is_integral:
        raise OutsideFragment(f"integer power of {target.lean}")
    if exponent_sort >= Sort.rat:
        if target is not Sort.real:
            raise OutsideFragment("non-integer exponent")
        base_term = elab_term(base, Sort.real, scope)
        exponent_term = elab_term(exponent, Sort.real, scope)
        return Opaque("Real.rpow", (base_term, exponent_term), (Sort.real, Sort.real), Sort.real)
    return Pow(elab_term(base, target, scope), elab_term(exponent, exponent_sort, scope), target)


def _elab_leaf(surface: Surface, sort: Sort, scope: Scope) -> Term:
    """A leaf at its own sort (``infer``), or at the tree's sort when it has none."""
    surface = field_access(surface, scope)
    match surface:
        case SName(name=name):
            full = resolve(name, scope)
            own = scope.sort_of(full)
            if own is Sort.complex:
                raise OutsideFragment(f"the ℂ value {name} outside an equation")
            if own is not None:
                return Var(full, own)
            if full == "Real.pi":
                return Opaque("Real.pi", (), (), Sort.real)
            raise OutsideFragment(f"unknown name {name!r}")
        case SUn(op="!", arg=arg):
            return Call(Fn.factorial, (elab_term(arg, Sort.nat, scope),), Sort.nat)
        case SUn(op="√", arg=arg):
            return Call(Fn.sqrt, (elab_term(arg, Sort.real, scope),), Sort.real)
        case SAscribe(expr=expr):
            return elab_term(expr, sort, scope)
        case SApp(fn=fn, args=args):
            return _elab_app(resolve(fn, scope), args, sort, scope)
        case SBinder(kind="∑" | "∏") as binder:
            inner, domain = _bind_range(binder, scope)
            body = elab_term(binder.body, sort, inner)
            return BigOp(binder.kind == "∏", domain, body, sort)
        case _:
            raise OutsideFragment(f"not a number expression: {_show(surface)}")


def _arity(fn: str, args: tuple[Surface, ...], count: int) -> None:
    if len(args) != count:
        raise OutsideFragment(f"{fn} applied to {len(args)} arguments")


def _elab_app(fn: str, args: tuple[Surface, ...], sort: Sort, scope: Scope) -> Term:
    fn, args = equiv_call(fn, args, scope)
    if fn in (".val", "ZMod.val"):
        _arity(fn, args, 1)
        modulus = zmod_modulus([args[0]], scope)
        if modulus is None:
            raise OutsideFragment(f"{fn} of something not in ZMod")
        m = Num(Fraction(modulus), Sort.int)
        residue = Arith(ArithOp.mod, elab_zmod(args[0], modulus, scope), m, Sort.int)
        return Call(Fn.to_nat, (residue,), Sort.nat)  # ZMod.val_intCast: (a : ZMod m).val = a % m
    if fn in scope.functions:
        decl = scope.functions[fn]
        _arity(fn, args, len(decl.arg_sorts))
        elaborated = tuple(elab_term(a, s, scope) for a, s in zip(args, decl.arg_sorts, strict=True))
        return Opaque(fn, elaborated, decl.arg_sorts, decl.sort)
    if fn == "Real.sqrt":
        _arity(fn, args, 1)
        return Call(Fn.sqrt, (elab_term(args[0], Sort.real, scope),), Sort.real)
    if fn == "NNReal.sqrt":
        _arity(fn, args, 1)
        if "-" in _tree_ops(args[0], scope) or "neg" in _tree_ops(args[0], scope):
            raise OutsideFragment("NNReal.sqrt of a subtraction (truncated in NNReal)")
        # NNReal.coe_sqrt: ↑(NNReal.sqrt x) = Real.sqrt ↑x; without subtraction the argument's value is the same
        return Call(Fn.sqrt, (elab_term(args[0], Sort.real, scope),), Sort.real)
    if fn in COMPLEX_TO_REAL:
        _arity(fn, args, 1)
        re, im = elab_complex(args[0], scope)
        square = Arith(
            ArithOp.add,
            Arith(ArithOp.mul, re, re, Sort.real),
            Arith(ArithOp.mul, im, im, Sort.real),
            Sort.real,
        )
        match fn:
            case "Complex.re":
                return re
            case "Complex.im":
                return im
            case "Complex.normSq":
                return square  # Complex.normSq_apply: normSq z = z.re * z.re + z.im * z.im
            case _:
                return Call(Fn.sqrt, (square,), Sort.real)  # Complex.abs_apply: abs z = √(normSq z)
    if fn in REAL_OPAQUE:
        _arity(fn, args, REAL_OPAQUE[fn])
        elaborated = tuple(elab_term(a, Sort.real, scope) for a in args)
        return Opaque(fn, elaborated, (Sort.real,) * len(args), Sort.real)
    if fn in ("abs", "min", "max"):
        _arity(fn, args, 1 if fn == "abs" else 2)
        return Call(Fn(fn), tuple(elab_term(a, sort, scope) for a in args), sort)
    if fn in ("Int.floor", "Int.ceil", "Nat.floor", "Nat.ceil"):
        _arity(fn, args, 1)
        source = infer(args[0], scope)
        if source is None or source.is_integral:
            raise OutsideFragment(f"{fn} needs a ℚ or ℝ argument")
        inner = elab_term(args[0], source, scope)
        match fn:
            case "Int.floor":
                return Call(Fn.floor, (inner,), Sort.int)
            case "Int.ceil":
                return Call(Fn.ceil, (inner,), Sort.int)
            case "Nat.floor":
                return Call(Fn.nat_floor, (inner,), Sort.nat)
            case _:
                raise OutsideFragment("Nat.ceil is not supported")
    if fn in ("Nat.factorial",):
        _arity(fn, args, 1)
        return Call(Fn.factorial, (elab_term(args[0], Sort.nat, scope),), Sort.nat)
    if fn == "Nat.succ":
        _arity(fn, args, 1)  # Nat.succ_eq_add_one
        return Arith(ArithOp.add, elab_term(args[0], Sort.nat, scope), Num(Fraction(1), Sort.nat), Sort.nat)
    if fn in ("Nat.choose", "Nat.sqrt"):
        _arity(fn, args, 2 if fn == "Nat.choose" else 1)
        return Call(NAT_FUNCTIONS[fn], tuple(elab_term(a, Sort.nat, scope) for a in args), Sort.nat)
    if fn in ("Int.natAbs", "Int.toNat"):
        _arity(fn, args, 1)
        integer = elab_term(args[0], Sort.int, scope)
        return Call(Fn.nat_abs if fn == "Int.natAbs" else Fn.to_nat, (integer,), Sort.nat)
    if fn in ("Int.gcd", "Int.lcm"):
        _arity(fn, args, 2)  # Int.gcd_eq_natAbs, Int.lcm: on the absolute values
        absolute = tuple(Call(Fn.nat_abs, (elab_term(a, Sort.int, scope),), Sort.nat) for a in args)
        return Call(Fn.gcd if fn == "Int.gcd" else Fn.lcm, absolute, Sort.nat)
    if fn in ("Rat.num", "Rat.den"):
        _arity(fn, args, 1)
        if infer(args[0], scope) is not Sort.rat:
            raise OutsideFragment(f"{fn} of something not known to be ℚ")
        fraction = elab_term(args[0], Sort.rat, scope)
        return Call(
            Fn.num if fn == "Rat.num" else Fn.den, (fraction,), Sort.int if fn == "Rat.num" else Sort.nat
        )
    if fn in ("Nat.gcd", "Nat.lcm", ".gcd", ".lcm"):
        _arity(fn, args, 2)
        operand = infer(args[0], scope) or Sort.nat
        if operand is not Sort.nat:
            raise OutsideFragment(f"{fn} on {operand.lean}")
        gcd = Fn.gcd if fn.endswith("gcd") else Fn.lcm
        return Call(gcd, tuple(elab_term(a, Sort.nat, scope) for a in args), Sort.nat)
    if fn in (".card", "Finset.card", ".ncard", "Set.ncard"):
        _arity(fn, args, 1)
        return Card(finite_range(args[0], None, scope))
    raise OutsideFragment(f"function {fn!r} is not supported")


# ------------------------------------------------------------------------------------ finite ranges
def _bind_range(binder: SBinder, scope: Scope) -> tuple[Scope, Range]:
    if len(binder.names) != 1 or binder.bound is None or binder.bound[0] != "∈":
        raise OutsideFragment(f"{binder.kind} over something other than one variable in a Finset")
    name, type_text = binder.names[0]
    declared = None if type_text is None else parse_sort(type_text)
    if type_text is not None and declared is None:
        raise OutsideFragment(f"{binder.kind} over type {type_text!r}")
    domain = finite_range(binder.bound[1], (name, declared), scope)
    return scope.with_bound(name, domain.sort), domain


def finite_range(surface: Surface, binding: tuple[str, Sort | None] | None, scope: Scope) -> Range:
    """``Finset.range n``, ``Finset.Icc a b`` (and Ico/Ioc/Ioo), optionally under ``Finset.filter``; divisors;
    a finite set pinned by a hypothesis."""
    match surface:
        case SName(name=name) if name in scope.sets:
            pinned = scope.sets[name]
            if binding is not None and binding[1] not in (None, pinned.sort):
                raise OutsideFragment(f"{name} has elements of another type")
            return Range(binding[0] if binding else pinned.var, pinned.sort, pinned.start, pinned.stop,
                         pinned.where, pinned.where_var or pinned.var)  # fmt: skip
        case SBinder(kind="set", names=((var, type_text),), body=body):
            # {x | p x} with p bounding x: the finite set it is (Set.ncard_coe_Finset counts it)
            sort = _binder_sort(var, type_text, surface, scope)
            if not sort.is_integral or (binding is not None and binding[1] not in (None, sort)):
                raise OutsideFragment("a set-builder set that is not of integers")
            where = elab_prop(body, scope.with_bound(var, sort))
            bounds = bounds_of(var, sort, where)
            if bounds is None:
                raise OutsideFragment("a set-builder set with no bound we can read")
            return Range(binding[0] if binding else var, sort, bounds[0], bounds[1], where, var)
        case SApp(fn=fn, args=args) if resolve(fn, scope) in DIVISOR_SETS:
            _arity(fn, args, 1)
            if binding is not None and binding[1] not in (None, Sort.nat):
                raise OutsideFragment("divisors with elements of a type other than ℕ")
            n = elab_term(args[0], Sort.nat, scope)
            where_var = _fresh("d", args[0])
            one = Num(Fraction(1), Sort.nat)
            stop = Arith(ArithOp.add, n, one, Sort.nat) if "proper" not in fn.lower() else n
            return Range(binding[0] if binding else "k✝", Sort.nat, one, stop, Dvd(Var(where_var, Sort.nat), n),
                         where_var)  # fmt: skip
        case SApp(fn="Finset.filter", args=(predicate, inner)) | SApp(fn=".filter", args=(inner, predicate)):
            base = finite_range(inner, binding, scope)
            if base.where is not None:
                raise OutsideFragment("nested Finset.filter")
            where_var, where = _elab_filter(predicate, base, scope)
            return Range(base.var, base.sort, base.start, base.stop, where, where_var)
        case SApp(fn=fn, args=args) if resolve(fn, scope) in RANGE_SETS:
            full = resolve(fn, scope)
            name = binding[0] if binding else "k✝"
            declared = binding[1] if binding else None
            if full == "Finset.range":
                _arity(full, args, 1)
                sort = declared or Sort.nat
                if sort is not Sort.nat:
                    raise OutsideFragment("Finset.range over a non-natural variable")
                return Range(name, sort, Num(Fraction(0), sort), elab_term(args[0], sort, scope))
            _arity(full, args, 2)
            found = declared or _max(infer(args[0], scope), infer(args[1], scope))
            if found is None and scope.goal_mode:
                raise OutsideFragment(f"goal text hides the element type of {full}")
            sort = found or Sort.nat
            if not sort.is_integral:
                raise OutsideFragment(f"{full} over {sort.lean} is infinite")
            lo, hi = elab_term(args[0], sort, scope), elab_term(args[1], sort, scope)
            one = Num(Fraction(1), sort)
            start = lo if full in ("Finset.Icc", "Finset.Ico") else Arith(ArithOp.add, lo, one, sort)
            stop = Arith(ArithOp.add, hi, one, sort) if full in ("Finset.Icc", "Finset.Ioc") else hi
            return Range(name, sort, start, stop)
        case _:
            raise OutsideFragment(f"finite set {_show(surface)} is not supported")


def _elab_filter(predicate: Surface, base: Range, scope: Scope) -> tuple[str, Formula]:
    if not isinstance(predicate, SBinder) or predicate.kind != "fun" or len(predicate.names) != 1:
        raise OutsideFragment("Finset.filter needs a `fun x => ...` predicate")
    name = predicate.names[0][0]
    return name, elab_prop(predicate.body, scope.with_bound(name, base.sort))


# ---------------------------------------------------------------------------------------- formulas
def elab_prop(surface: Surface, scope: Scope) -> Formula:
    match surface:
        case SName(name="True"):
            return Const(True)
        case SName(name="False"):
            return Const(False)
        case SBin(op=op, left=left, right=right) if op in CONNECTIVES:
            return Logic(CONNECTIVES[op], elab_prop(left, scope), elab_prop(right, scope))
        case SUn(op="¬", arg=arg):
            return Not(elab_prop(arg, scope))
        case SBin(op=op, left=left, right=right):
            return _relation(op, left, right, scope)
        case SChain(ops=ops, items=items):
            links = [_relation(op, items[i], items[i + 1], scope) for i, op in enumerate(ops)]
            return conjoin(links)
        case SApp(fn=fn, args=args):
            return _predicate(resolve(fn, scope), args, scope)
        case SAscribe(expr=expr, type_text="Prop"):
            return elab_prop(expr, scope)
        case SBinder(kind="∀" | "∃") as binder:
            return _quantifier(binder, scope)
        case _:
            raise OutsideFragment(f"not a proposition we model: {_show(surface)}")


def _relation(op: str, left: Surface, right: Surface, scope: Scope) -> Formula:
    if op in ("∈", "∉"):
        membership = _membership(left, right, scope)
        return Not(membership) if op == "∉" else membership
    modulus = zmod_modulus([left, right], scope)
    if modulus is not None:
        if op not in ("=", "≠"):
            raise OutsideFragment(f"relation {op!r} on ZMod {modulus}")
        m = Num(Fraction(modulus), Sort.int)
        zl, zr = (Arith(ArithOp.mod, elab_zmod(side, modulus, scope), m, Sort.int) for side in (left, right))
        congruent = Cmp(CmpOp.eq, zl, zr)  # ZMod.intCast_eq_intCast_iff: equal in ZMod m ↔ congruent mod m
        return congruent if op == "=" else Not(congruent)
    try:
        sort = tree_sort([left, right], scope)
    except OutsideFragment:
        closed = _closed_relation(op, left, right, scope)
        if closed is None:
            raise
        return closed
    if sort is Sort.complex:
        if op not in ("=", "≠"):
            raise OutsideFragment(f"relation {op!r} on ℂ")
        (a, b), (c, d) = elab_complex(left, scope), elab_complex(right, scope)
        equal = Logic(Connective.and_, Cmp(CmpOp.eq, a, c), Cmp(CmpOp.eq, b, d))  # Complex.ext_iff
        return equal if op == "=" else Not(equal)
    lhs, rhs = elab_term(left, sort, scope), elab_term(right, sort, scope)
    if op == "∣":
        if not sort.is_integral:
            raise OutsideFragment(f"divisibility in {sort.lean}")
        return Dvd(lhs, rhs)
    if op not in CMP_OPS:
        raise OutsideFragment(f"relation {op!r}")
    return Cmp(CMP_OPS[op], lhs, rhs)


def _closed_relation(op: str, left: Surface, right: Surface, scope: Scope) -> Formula | None:
    """Goal text that hides the number type of a relation between numerals (``⊢ 5 - 7 = 0``): its truth
    when every type that elaborates it (ℕ, ℤ, ℚ, ℝ) gives the same one, whichever Lean had."""
    if not scope.goal_mode or _has_names(left) or _has_names(right) or op not in {*CMP_OPS, "∣"}:
        return None
    truths: set[bool | None] = set()
    for sort in (Sort.nat, Sort.int, Sort.rat, Sort.real):
        typed = Scope(scope.variables, scope.functions, False, scope.bound, scope.sets)
        try:
            formula = _relation(op, SAscribe(left, sort.lean), SAscribe(right, sort.lean), typed)
        except OutsideFragment:
            continue  # Lean cannot have used this type
        truths.add(Evaluator({}, deadline=time.monotonic() + CLOSED_BUDGET_S).formula(formula))
    if len(truths) != 1 or None in truths:
        return None
    return Const(truths.pop() is True)


def _has_names(surface: Surface) -> bool:
    match surface:
        case SName():
            return True
        case SNum():
            return False
        case SApp(fn=fn, args=args):
            return fn not in ("abs", "min", "max") or any(_has_names(a) for a in args)
        case SBin(left=left, right=right):
            return _has_names(left) or _has_names(right)
        case SUn(op="-" | "⁻¹" | "!", arg=arg):
            return _has_names(arg)
        case _:
            return True


def _membership(element: Surface, collection: Surface, scope: Scope) -> Formula:
    match collection:
        case SAscribe(expr=inner, type_text=type_text) if type_text.split()[:1] in (["Set"], ["Finset"]):
            return _membership(SAscribe(element, type_text.split(maxsplit=1)[1]), inner, scope)
        case SBinder(kind="set", names=((name, type_text),), body=body):
            # Set.mem_setOf_eq: a ∈ {x | p x} = p a
            written = type_text or (None if (t := _element_type(element, scope)) is None else t.lean)
            return elab_prop(substitute(body, name, _typed(element, written)), scope)
        case SApp(fn="{}", args=members):
            # Finset.mem_insert, Finset.mem_singleton: a ∈ {b, c} ↔ a = b ∨ a = c
            sort = tree_sort([element, *members], scope)
            x = elab_term(element, sort, scope)
            options: list[Formula] = [Cmp(CmpOp.eq, x, elab_term(member, sort, scope)) for member in members]
            either = options[-1]
            for option in reversed(options[:-1]):
                either = Logic(Connective.or_, option, either)
            return either
        case SName(name=name) if name in scope.sets:
            pinned = scope.sets[name]
            x = elab_term(element, pinned.sort, scope)
            probe = _fresh("a", element)
            domain = Range(
                probe, pinned.sort, pinned.start, pinned.stop, pinned.where, pinned.where_var or pinned.var
            )
            return Quant(False, probe, pinned.sort, Cmp(CmpOp.eq, Var(probe, pinned.sort), x), domain)
        case SApp(fn=fn, args=(number,)) if resolve(fn, scope) in DIVISOR_SETS:
            # Nat.mem_divisors: d ∈ n.divisors ↔ d ∣ n ∧ n ≠ 0; Nat.mem_properDivisors: d ∣ n ∧ d < n
            d, n = elab_term(element, Sort.nat, scope), elab_term(number, Sort.nat, scope)
            if "proper" in fn.lower():
                return Logic(Connective.and_, Dvd(d, n), Cmp(CmpOp.lt, d, n))
            return Logic(Connective.and_, Dvd(d, n), Cmp(CmpOp.ne, n, Num(Fraction(0), Sort.nat)))
        case SApp(fn=fn, args=(lo, hi)) if resolve(fn, scope) in INTERVAL_SETS:
            kind = resolve(fn, scope).split(".")[1]
            sort = tree_sort([element, lo, hi], scope)
            x, a, b = (elab_term(s, sort, scope) for s in (element, lo, hi))
            lower = Cmp(CmpOp.le if kind[1] == "c" else CmpOp.lt, a, x)
            upper = Cmp(CmpOp.le if kind[2] == "c" else CmpOp.lt, x, b)
            return Logic(Connective.and_, lower, upper)
        case SApp(fn=fn, args=(bound,)) if resolve(fn, scope) == "Finset.range":
            sort = tree_sort([element, bound], scope)
            if sort is not Sort.nat:
                raise OutsideFragment("membership of a non-natural in Finset.range")
            return Cmp(CmpOp.lt, elab_term(element, sort, scope), elab_term(bound, sort, scope))
        case _:
            raise OutsideFragment(f"membership in {_show(collection)}")


def _predicate(fn: str, args: tuple[Surface, ...], scope: Scope) -> Formula:
    if fn in ("Nat.ModEq", "Int.ModEq"):
        _arity(fn, args, 3)  # Nat.ModEq n a b := a % n = b % n (Int.ModEq likewise, with Int.emod)
        sort = Sort.nat if fn == "Nat.ModEq" else Sort.int
        n, a, b = (elab_term(arg, sort, scope) for arg in args)
        return Cmp(CmpOp.eq, Arith(ArithOp.mod, a, n, sort), Arith(ArithOp.mod, b, n, sort))
    if fn in ("Nat.Coprime", ".Coprime"):
        _arity(fn, args, 2)  # Nat.Coprime m n := Nat.gcd m n = 1 (Nat.coprime_iff_gcd_eq_one)
        pair = tuple(elab_term(arg, Sort.nat, scope) for arg in args)
        return Cmp(CmpOp.eq, Call(Fn.gcd, pair, Sort.nat), Num(Fraction(1), Sort.nat))
    if fn in ("IsLeast", "IsGreatest"):
        _arity(fn, args, 2)
        return _extremum(fn == "IsLeast", args[0], args[1], scope)
    if fn in ("Even", "Odd", "Nat.Prime", "Prime"):
        _arity(fn, args, 1)
        sort = infer(args[0], scope) or Sort.nat
        if fn in ("Nat.Prime", "Prime") and sort is not Sort.nat:
            raise OutsideFragment(f"{fn} on {sort.lean}")
        if not sort.is_integral:
            raise OutsideFragment(f"{fn} on {sort.lean}")
        predicate = {"Even": Predicate.even, "Odd": Predicate.odd}.get(fn, Predicate.prime)
        return Pred(predicate, elab_term(args[0], sort, scope))
    raise OutsideFragment(f"predicate {fn!r} is not supported")


def _extremum(least: bool, collection: Surface, value: Surface, scope: Scope) -> Formula:
    """``IsLeast {x | p x} a`` = ``p a ∧ ∀ x, p x → a ≤ x`` (IsLeast, lowerBounds, Set.mem_setOf_eq);
    ``IsGreatest`` with ``x ≤ a`` (upperBounds). On ℕ, ``∀ x, p x → a ≤ x`` is ``∀ x < a, ¬p x``: finite."""
    if not isinstance(collection, SBinder) or collection.kind != "set" or len(collection.names) != 1:
        raise OutsideFragment("IsLeast/IsGreatest of a set not written {x | p x}")
    name, type_text = collection.names[0]
    sort = _binder_sort(name, type_text, collection, scope)
    if _mentions(name, value):
        raise OutsideFragment("IsLeast/IsGreatest whose value mentions the set's variable")
    member = elab_prop(substitute(collection.body, name, _typed(value, sort.lean)), scope)
    typed = ((name, sort.lean),)
    if least and sort is Sort.nat:
        below = SBinder("∀", typed, ("∈", SApp("Finset.range", (value,))), SUn("¬", collection.body))
        return Logic(Connective.and_, member, elab_prop(below, scope))
    bound = SBin("≤", value, SName(name)) if least else SBin("≤", SName(name), value)
    bounds = SBinder("∀", typed, None, SBin("→", collection.body, bound))
    return Logic(Connective.and_, member, elab_prop(bounds, scope))


def _conjuncts(formula: Formula) -> list[Formula]:
    if isinstance(formula, Logic) and formula.op is Connective.and_:
        return _conjuncts(formula.left) + _conjuncts(formula.right)
    return [formula]


def _dominates(term: Term, var: str) -> bool:
    """``var ≤ term`` for every value, on ℕ: ``term`` grows from ``var`` by ``+`` anything, ``*`` or ``^`` a
    positive numeral (Nat.le_add_right, Nat.le_mul_of_pos_right, Nat.le_self_pow); so ``term < c`` bounds ``var``."""
    match term:
        case Var(name=name, sort=Sort.nat):
            return name == var
        case Arith(op=ArithOp.add, left=left, right=right, sort=Sort.nat):
            return _dominates(left, var) or _dominates(right, var)
        case Arith(op=ArithOp.mul, left=left, right=right, sort=Sort.nat):
            return (_dominates(left, var) and _positive_numeral(right)) or (
                _dominates(right, var) and _positive_numeral(left)
            )
        case Pow(base=base, exponent=exponent, sort=Sort.nat):
            return _dominates(base, var) and _positive_numeral(exponent)
        case _:
            return False


def _positive_numeral(term: Term) -> bool:
    return isinstance(term, Num) and term.value >= 1


_FLIPPED = {CmpOp.lt: CmpOp.gt, CmpOp.gt: CmpOp.lt, CmpOp.le: CmpOp.ge, CmpOp.ge: CmpOp.le}


def bounds_of(var: str, sort: Sort, where: Formula) -> tuple[Term, Term] | None:
    """``start ≤ var < stop``, each implied by one conjunct of ``where`` (ℕ starts at 0), or None.

    The range may be larger than the set (the filter ``where`` still decides membership); it never misses
    a member.
    """
    lower: Term | None = None
    upper: Term | None = None  # exclusive
    for conjunct in _conjuncts(where):
        found: list[tuple[str, Term]] = []
        match conjunct:
            case Cmp(op=op, left=left, right=right):
                if var in free_names(left) and var not in free_names(right):
                    found = _side_bounds(left, op, right, var, sort)
                elif var in free_names(right) and var not in free_names(left):
                    found = _side_bounds(right, _FLIPPED.get(op, op), left, var, sort)
            case Dvd(left=left, right=Num(value=value)) if left == Var(var, sort) and value != 0:
                # Nat.le_of_dvd, Int.natAbs_le_of_dvd_ne_zero: a divisor of m ≠ 0 is at most |m| in size
                size = Num(abs(value), sort)
                found = [("upper", _plus_one(size))] + (
                    [] if sort is Sort.nat else [("lower", Neg(size, sort))]
                )
        for kind, term in found:
            if kind == "upper" and upper is None:
                upper = term
            elif kind == "lower" and lower is None:
                lower = term
    if sort is Sort.nat and lower is None:
        lower = Num(Fraction(0), sort)
    if lower is None or upper is None:
        return None
    return lower, upper


def _plus_one(term: Term) -> Term:
    return Arith(ArithOp.add, term, Num(Fraction(1), term.sort), term.sort)


def _side_bounds(side: Term, relation: CmpOp, other: Term, var: str, sort: Sort) -> list[tuple[str, Term]]:
    """Bounds on ``var`` (of ``sort``) from ``side relation other``: ("upper", exclusive stop) and
    ("lower", inclusive start), as terms of ``sort``; ``other`` does not mention ``var``."""
    below = relation in (CmpOp.lt, CmpOp.le, CmpOp.eq)  # side ≤ other
    above = relation in (CmpOp.gt, CmpOp.ge, CmpOp.eq)  # side ≥ other
    strict = relation in (CmpOp.lt, CmpOp.gt)
    match side:
        case Var(name=name) if name == var:
            found: list[tuple[str, Term]] = []
            if below:
                found.append(("upper", other if strict else _plus_one(other)))
            if above:
                found.append(("lower", _plus_one(other) if strict else other))
            return found
        case Coe(arg=inner) if inner.sort.is_integral:
            # Int.le_floor, Int.ceil_le, Nat.le_floor, Int.toNat_le: for an integer a and a bound r,
            # a ≤ r → a ≤ ⌊r⌋ and r ≤ a → ⌈r⌉ ≤ a (strict comparisons give the same, slightly larger ranges)
            found = []
            if below:
                if inner.sort is Sort.nat:
                    integral = Call(Fn.to_nat, (other,), Sort.nat) if other.sort is Sort.int else None
                    cap = integral or Call(Fn.nat_floor, (other,), Sort.nat)
                else:
                    cap = Call(Fn.floor, (other,), Sort.int)
                found += _side_bounds(inner, CmpOp.le, cap, var, sort)
            if above and inner.sort is Sort.int and not other.sort.is_integral:
                found += _side_bounds(inner, CmpOp.ge, Call(Fn.ceil, (other,), Sort.int), var, sort)
            return found
        case Call(fn=Fn.abs, args=(inner,)) if below:
            # abs_le: |a| ≤ b ↔ -b ≤ a ∧ a ≤ b (abs_lt likewise, abs a = b gives both too)
            return _side_bounds(inner, CmpOp.le, other, var, sort) + _side_bounds(
                inner, CmpOp.ge, Neg(other, other.sort), var, sort
            )
        case Arith(op=ArithOp.add | ArithOp.sub as op, left=inner, right=shift, sort=inner_sort) if (
            var not in free_names(shift) and inner_sort is not Sort.nat
        ):
            # a ± c ≤ b ↔ a ≤ b ∓ c (add_le_iff_nonpos_right ... in an ordered ring; not on ℕ, which truncates)
            undo = ArithOp.sub if op is ArithOp.add else ArithOp.add
            return _side_bounds(inner, relation, Arith(undo, other, shift, inner_sort), var, sort)
        case _ if below and _dominates(side, var):
            # var ≤ side and side ≤ other: var < other + 1 (Nat: the dominated term bounds the variable)
            return [("upper", other if strict else _plus_one(other))]
        case _:
            return []


def _element_type(element: Surface, scope: Scope) -> Sort | None:
    try:
        return infer(element, scope)
    except OutsideFragment:
        return None


def _typed(surface: Surface, type_text: str | None) -> Surface:
    return surface if type_text is None else SAscribe(surface, type_text)


def _fresh(stem: str, *avoid: Surface) -> str:
    """A bound-variable name that no surface in ``avoid`` mentions (inaccessible, like Lean's ``x✝``)."""
    k = 0
    while any(_mentions(f"{stem}✝{k}", surface) for surface in avoid):
        k += 1
    return f"{stem}✝{k}"


def substitute(surface: Surface, name: str, replacement: Surface) -> Surface:
    """``surface`` with the free occurrences of ``name`` replaced (binders that rebind ``name`` stop it).

    Raises ``OutsideFragment`` when a binder would capture a name of ``replacement``.
    """
    match surface:
        case SName(name=other):
            return replacement if other == name else surface
        case SNum():
            return surface
        case SApp(fn=fn, args=args):
            return SApp(fn, tuple(substitute(arg, name, replacement) for arg in args))
        case SBin(op=op, left=left, right=right):
            return SBin(op, substitute(left, name, replacement), substitute(right, name, replacement))
        case SChain(ops=ops, items=items):
            return SChain(ops, tuple(substitute(item, name, replacement) for item in items))
        case SUn(op=op, arg=arg):
            return SUn(op, substitute(arg, name, replacement))
        case SAscribe(expr=expr, type_text=type_text):
            return SAscribe(substitute(expr, name, replacement), type_text)
        case SBinder(kind=kind, names=names, bound=bound, body=body):
            new_bound = None if bound is None else (bound[0], substitute(bound[1], name, replacement))
            bound_names = [n for n, _ in names]
            if name in bound_names:
                return SBinder(kind, names, new_bound, body)
            if any(_mentions(n, replacement) for n in bound_names):
                raise OutsideFragment("substitution would capture a bound variable")
            return SBinder(kind, names, new_bound, substitute(body, name, replacement))


def _quantifier(binder: SBinder, scope: Scope) -> Formula:
    forall = binder.kind == "∀"
    if binder.bound is not None and binder.bound[0] == "∈" and len(binder.names) == 1:
        name, type_text = binder.names[0]
        declared = None if type_text is None else parse_sort(type_text)
        collection = binder.bound[1]
        if isinstance(collection, SApp) and resolve(collection.fn, scope) in RANGE_SETS | {"Finset.filter"}:
            domain = finite_range(collection, (name, declared), scope)
            return Quant(
                forall, name, domain.sort, elab_prop(binder.body, scope.with_bound(name, domain.sort)), domain
            )
    inner = scope
    declared_vars: list[tuple[str, Sort]] = []
    for name, type_text in binder.names:
        sort = _binder_sort(name, type_text, binder, inner)
        inner = inner.with_bound(name, sort)
        declared_vars.append((name, sort))
    body = elab_prop(binder.body, inner)
    if binder.bound is not None:
        op, bound_surface = binder.bound
        guards = [_relation(op, SName(name), bound_surface, inner) for name, _ in declared_vars]
        guard = conjoin(guards)
        body = Logic(Connective.implies if forall else Connective.and_, guard, body)
    for name, sort in reversed(declared_vars):
        body = Quant(forall, name, sort, body)
    return body


def _binder_sort(name: str, type_text: str | None, binder: SBinder, scope: Scope) -> Sort:
    if type_text is not None:
        sort = parse_sort(type_text)
        if sort is None or sort is Sort.complex:
            raise OutsideFragment(f"quantifier over type {type_text!r}")
        return sort
    hints = [binder.body] + ([binder.bound[1]] if binder.bound else [])
    guessed = None
    for hint in hints:
        guessed = _max(guessed, usage_sort(name, hint, scope))
    if guessed is Sort.complex:
        raise OutsideFragment(f"quantifier over ℂ ({name})")
    if guessed is not None:
        return guessed
    if scope.goal_mode:
        raise OutsideFragment(f"goal text hides the type of bound variable {name!r}")
    return Sort.nat


def usage_sort(name: str, surface: Surface, scope: Scope) -> Sort | None:
    """What an untyped bound variable's uses tell: argument of a typed function, or partner of typed leaves."""
    match surface:
        case SApp(fn=fn, args=args):
            full = resolve(fn, scope)
            if full in scope.functions:
                for arg, sort in zip(args, scope.functions[full].arg_sorts, strict=False):
                    if arg == SName(name):
                        return sort
            found: Sort | None = None
            for arg in args:
                found = _max(found, usage_sort(name, arg, scope))
            return found
        case SBin(op=op, left=left, right=right):
            found = _max(usage_sort(name, left, scope), usage_sort(name, right, scope))
            if found is None and op in set(CMP_OPS) | {"∣"} and _mentions(name, surface):
                partner_scope = scope.with_bound(name, Sort.nat)
                try:
                    found = _max(infer(left, partner_scope), infer(right, partner_scope))
                except OutsideFragment:
                    return None
                return None if found is Sort.nat else found
            return found
        case SChain(items=items):
            found = None
            for item in items:
                found = _max(found, usage_sort(name, item, scope))
            return found
        case SUn(arg=arg) | SAscribe(expr=arg):
            return usage_sort(name, arg, scope)
        case SBinder(body=body):
            return usage_sort(name, body, scope)
        case _:
            return None


def _mentions(name: str, surface: Surface) -> bool:
    match surface:
        case SName(name=other):
            return other == name
        case SApp(args=args):
            return any(_mentions(name, arg) for arg in args)
        case SBin(left=left, right=right):
            return _mentions(name, left) or _mentions(name, right)
        case SChain(items=items):
            return any(_mentions(name, item) for item in items)
        case SUn(arg=arg) | SAscribe(expr=arg):
            return _mentions(name, arg)
        case SBinder(body=body):
            return _mentions(name, body)
        case _:
            return False


def _show(surface: Surface) -> str:
    match surface:
        case SName(name=name):
            return name
        case SApp(fn=fn):
            return f"{fn} …"
        case SBinder(kind=kind):
            return f"{kind} …"
        case SBin(op=op) | SUn(op=op):
            return f"… {op} …"
        case _:
            return type(surface).__name__


# ------------------------------------------------------------------------------------------- ℂ
def _real(term: Term) -> tuple[Term, Term]:
    return term, Num(Fraction(0), Sort.real)  # Complex.ofReal_re, Complex.ofReal_im


def _add(x: Term, y: Term) -> Term:
    return Arith(ArithOp.add, x, y, Sort.real)


def _sub(x: Term, y: Term) -> Term:
    return Arith(ArithOp.sub, x, y, Sort.real)


def _mul(x: Term, y: Term) -> Term:
    return Arith(ArithOp.mul, x, y, Sort.real)


def _complex_mul(x: tuple[Term, Term], y: tuple[Term, Term]) -> tuple[Term, Term]:
    (a, b), (c, d) = x, y
    return _sub(_mul(a, c), _mul(b, d)), _add(_mul(a, d), _mul(b, c))  # Complex.mul_re, Complex.mul_im


def _complex_inv(x: tuple[Term, Term]) -> tuple[Term, Term]:
    # Complex.inv_re, Complex.inv_im: z⁻¹ = (re / normSq z, -im / normSq z); normSq 0 = 0 and x / 0 = 0 in ℝ
    # give 0⁻¹ = 0 (inv_zero), as in ℂ
    a, b = x
    norm = _add(_mul(a, a), _mul(b, b))
    return Arith(ArithOp.div, a, norm, Sort.real), Neg(Arith(ArithOp.div, b, norm, Sort.real), Sort.real)


def elab_complex(surface: Surface, scope: Scope) -> tuple[Term, Term]:
    """A ℂ-valued tree as its (real part, imaginary part): real terms, ℝ leaves cast up (im = 0)."""
    surface = field_access(surface, scope)
    match surface:
        case SNum(value=value):
            return _real(Num(value, Sort.real))
        case SName(name=name) if scope.sort_of(resolve(name, scope)) is Sort.complex:
            full = resolve(name, scope)
            return Var(f"{full}.re", Sort.real), Var(f"{full}.im", Sort.real)
        case SName(name=name) if resolve(name, scope) == "Complex.I":
            return Num(Fraction(0), Sort.real), Num(Fraction(1), Sort.real)  # Complex.I_re, Complex.I_im
        case SBin(op="+" | "-" as op, left=left, right=right):
            (a, b), (c, d) = elab_complex(left, scope), elab_complex(right, scope)
            return (_add(a, c), _add(b, d)) if op == "+" else (_sub(a, c), _sub(b, d))  # Complex.add_re, ...
        case SBin(op="*", left=left, right=right):
            return _complex_mul(elab_complex(left, scope), elab_complex(right, scope))
        case SBin(op="/", left=left, right=right):
            # div_eq_mul_inv
            return _complex_mul(elab_complex(left, scope), _complex_inv(elab_complex(right, scope)))
        case SUn(op="⁻¹", arg=arg):
            return _complex_inv(elab_complex(arg, scope))
        case SUn(op="-", arg=arg):
            a, b = elab_complex(arg, scope)
            return Neg(a, Sort.real), Neg(b, Sort.real)  # Complex.neg_re, Complex.neg_im
        case SBin(op="^", left=base, right=SNum(value=value, decimal=False)):
            if value.denominator != 1 or not 0 <= value <= MAX_COMPLEX_POWER:
                raise OutsideFragment("a ℂ power whose exponent is not a small natural numeral")
            result = _real(Num(Fraction(1), Sort.real))  # pow_zero
            factor = elab_complex(base, scope)
            for _ in range(int(value)):
                result = _complex_mul(result, factor)  # pow_succ
            return result
        case SAscribe(expr=expr, type_text=type_text) if parse_sort(type_text) is Sort.complex:
            return elab_complex(expr, scope)
        case SUn(op="↑", arg=arg) if infer(arg, scope) is not Sort.complex:
            return _real(elab_term(arg, Sort.real, scope))
        case _:
            own = infer(surface, scope)
            if own is Sort.complex:
                raise OutsideFragment(f"ℂ expression {_show(surface)} is not supported")
            return _real(elab_term(surface, Sort.real, scope))


# ------------------------------------------------------------------------------------------ ZMod m
def zmod_type(type_text: str) -> int | None:
    """``ZMod m`` for a closed natural ``m ≥ 1``: m; None for any other type."""
    words = type_text.split(maxsplit=1)
    if len(words) != 2 or words[0] != "ZMod":
        return None
    try:
        term = elab_term(parse_expression(words[1]), Sort.nat, Scope({}, {}))
        value = Evaluator({}, deadline=time.monotonic() + CLOSED_BUDGET_S).term(term)
    except (OutsideFragment, Unevaluable):
        return None
    return int(value) if isinstance(value, Fraction) and value.denominator == 1 and value >= 1 else None


def zmod_modulus(items: list[Surface], scope: Scope) -> int | None:
    """The m of a relation between ZMod m values: a ZMod variable or ascription among the tree's leaves."""
    found: set[int] = set()

    def walk(surface: Surface) -> None:
        match surface:
            case SName(name=name) if name in scope.zmod and name not in scope.bound:
                found.add(scope.zmod[name])
            case SAscribe(type_text=type_text) if (modulus := zmod_type(type_text)) is not None:
                found.add(modulus)
            case SBin(op=op, left=left, right=right) if op in ARITH_OPS:
                walk(left)
                walk(right)
            case SBin(op="^", left=left):
                walk(left)
            case SUn(op="-" | "⁻¹", arg=arg):
                walk(arg)
            case _:
                pass

    for item in items:
        walk(item)
    if len(found) > 1:
        raise OutsideFragment("ZMod values of different moduli")
    return found.pop() if found else None


def elab_zmod(surface: Surface, modulus: int, scope: Scope) -> Term:
    """A ZMod m tree as an ℤ term congruent to its value: the cast ℤ → ZMod m is a ring hom (Int.cast_add,
    Int.cast_mul, Int.cast_sub, Int.cast_pow), so only ``⁻¹`` needs m (``Fn.zmod_inv``)."""
    match surface:
        case SNum(value=value, decimal=False) if value.denominator == 1:
            return Num(value, Sort.int)
        case SName(name=name) if scope.zmod.get(name) == modulus and name not in scope.bound:
            return Var(name, Sort.int)
        case SBin(op="+" | "-" | "*" as op, left=left, right=right):
            return Arith(
                ARITH_OPS[op], elab_zmod(left, modulus, scope), elab_zmod(right, modulus, scope), Sort.int
            )
        case SBin(op="^", left=base, right=exponent):
            if infer(exponent, scope) not in (None, Sort.nat):
                raise OutsideFragment("a ZMod power whose exponent is not a natural number")
            return Pow(elab_zmod(base, modulus, scope), elab_term(exponent, Sort.nat, scope), Sort.int)
        case SUn(op="-", arg=arg):
            return Neg(elab_zmod(arg, modulus, scope), Sort.int)
        case SUn(op="⁻¹", arg=arg):
            return Call(
                Fn.zmod_inv, (elab_zmod(arg, modulus, scope), Num(Fraction(modulus), Sort.int)), Sort.int
            )
        case SAscribe(expr=expr, type_text=type_text) if zmod_type(type_text) == modulus:
            return elab_zmod(expr, modulus, scope)
        case SUn(op="↑", arg=arg):
            return _integral_cast(arg, scope)
        case SName() | SApp():
            return _integral_cast(surface, scope)
        case _:
            raise OutsideFragment(f"ZMod {modulus} expression {_show(surface)} is not supported")


def _integral_cast(surface: Surface, scope: Scope) -> Term:
    """A ℕ or ℤ value cast into ZMod m (Nat.cast / Int.cast): its integer is a representative."""
    own = infer(surface, scope)
    if own is None or not own.is_integral or (isinstance(surface, SName) and surface.name in scope.zmod):
        raise OutsideFragment(f"{_show(surface)} in ZMod is not an integer")
    return elab_term(surface, Sort.int, scope)
