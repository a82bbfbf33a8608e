"""Typed core → Z3, keeping Lean's totalised semantics (imported only inside the Z3 worker process).

ℕ and ℤ map to Z3 ``Int`` (ℕ variables get ``≥ 0``), ℚ and ℝ to ``Real``. SMT-LIB integer ``div``/``mod``
are Euclidean like Lean's ``Int.ediv``/``Int.emod`` (and floor/mod on naturals); division by zero is
unspecified in SMT-LIB, so every division is guarded (``x / 0 = 0``, ``x % 0 = x``). Functions Z3 cannot
express exactly (``Real.sqrt``, primes) become uninterpreted symbols plus true facts about each ground use;
opaque functions (``Real.log``, binder functions) stay uninterpreted, which keeps ``unsat`` answers sound.
Closed subterms (``20!``, ``Nat.gcd 20 15``, sums with numeral bounds) are folded by the exact evaluator.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import z3

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
    Query,
    Range,
    Sort,
    Term,
    Var,
)
from prover.smt.evaluate import PRIME_TRIAL_LIMIT, Evaluator, Unevaluable, is_prime

MAX_UNROLL = 2000
FOLD_BUDGET_S = 0.5  # exact evaluation of one closed subterm
MAX_EXPANDED_POWER = 64
PRIME_TABLE_LIMIT = 1000


class Untranslatable(OutsideFragment):
    """Z3 cannot express this exactly (a variable exponent, a factorial of a variable...)."""


def _primes_below(limit: int) -> list[int]:
    sieve = [True] * (limit + 1)
    sieve[0] = sieve[1] = False
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = [False] * len(sieve[i * i :: i])
    return [i for i, is_prime in enumerate(sieve) if is_prime]


class Translator:
    """Translates the formulas of one query; collects side facts that define its auxiliary symbols."""

    def __init__(self, query: Query) -> None:
        self.side: list[Any] = []
        self.free: dict[str, Any] = {}
        for var in query.variables:
            symbol = z3.Int(var.name) if var.sort.is_integral else z3.Real(var.name)
            self.free[var.name] = symbol
            if var.sort is Sort.nat:
                self.side.append(symbol >= 0)
        self.functions: dict[str, Any] = {}
        for decl in query.functions:
            domain = [self._z3_sort(s) for s in decl.arg_sorts]
            self.functions[decl.name] = z3.Function(decl.name, *domain, self._z3_sort(decl.sort))
        self._opaque: dict[tuple[str, int], Any] = {}
        self._sqrt = z3.Function("Real.sqrt", z3.RealSort(), z3.RealSort())
        self._prime = z3.Function("Nat.Prime", z3.IntSort(), z3.BoolSort())
        self._seen_facts: set[Any] = set()

    @staticmethod
    def _z3_sort(sort: Sort) -> Any:
        return z3.IntSort() if sort.is_integral else z3.RealSort()

    def _fact(self, key: Any, fact: Any) -> None:
        if key not in self._seen_facts:
            self._seen_facts.add(key)
            self.side.append(fact)

    # ---------------------------------------------------------------------------------------- terms
    def term(self, term: Term, env: dict[str, Any]) -> Any:
        match term:
            case Num(value=value, sort=sort):
                return self._constant(value, sort)
            case Var(name=name):
                if name in env:
                    return env[name]
                return self.free[name]
            case Coe(arg=arg, sort=sort):
                inner = self.term(arg, env)
                return z3.ToReal(inner) if not sort.is_integral and _sort_of(arg).is_integral else inner
            case Neg(arg=arg):
                return -self.term(arg, env)
            case Arith(op=op, left=left, right=right, sort=sort):
                return self._arith(op, self.term(left, env), self.term(right, env), sort)
            case Pow(base=base, exponent=exponent, sort=sort):
                folded = self._fold(term, env)
                if folded is not None:
                    return folded
                return self._pow(base, exponent, sort, env)
            case Call(fn=fn, args=args, sort=sort):
                folded = self._fold(term, env)
                if folded is not None:
                    return folded
                return self._call(fn, args, sort, env)
            case Opaque(name=name, args=args, sort=sort):
                folded = self._fold(term, env) if name == "Real.rpow" else None
                if folded is not None:
                    return folded
                return self._opaque_app(name, args, sort, env)
            case BigOp(product=product, domain=domain, body=body, sort=sort):
                folded = self._fold(term, env)
                if folded is not None:
                    return folded
                items = [
                    self.term(body, {**env, domain.var: z3.IntVal(k)}) for k in self._unroll(domain, env)
                ]
                if not items:
                    return self._constant(Fraction(1 if product else 0), sort)
                return z3.Product(*items) if product else z3.Sum(*items)
            case Card(domain=domain):
                folded = self._fold(term, env)
                if folded is not None:
                    return folded
                raise Untranslatable("cardinality of a range whose bounds are not numerals")

    @staticmethod
    def _constant(value: Fraction, sort: Sort) -> Any:
        if sort.is_integral:
            return z3.IntVal(value.numerator)
        return (
            z3.RealVal(value.numerator) / value.denominator
            if value.denominator != 1
            else z3.RealVal(value.numerator)
        )

    def _fold(self, term: Term, env: dict[str, Any]) -> Any | None:
        """The exact value of a closed subterm, as a Z3 constant; None when it is not closed or not exact."""
        if env and _mentions_any(term, set(env)):
            return None
        try:
            value = Evaluator({}, deadline=time.monotonic() + FOLD_BUDGET_S).term(term)
        except Unevaluable:
            return None
        if not isinstance(value, Fraction):
            return None
        return self._constant(value, _sort_of(term))

    def _arith(self, op: ArithOp, a: Any, b: Any, sort: Sort) -> Any:
        zero = z3.IntVal(0) if sort.is_integral else z3.RealVal(0)
        match op:
            case ArithOp.add:
                return a + b
            case ArithOp.sub:
                # Nat.sub_eq_zero_of_le: truncated subtraction on ℕ
                return z3.If(a >= b, a - b, zero) if sort is Sort.nat else a - b
            case ArithOp.mul:
                return a * b
            case ArithOp.div:
                # Nat.div_zero / Int.ediv_zero / div_zero; SMT-LIB div is Euclidean like Int.ediv
                return z3.If(b == 0, zero, a / b)
            case ArithOp.mod:
                if not sort.is_integral:
                    raise Untranslatable("% in a field")
                return z3.If(b == 0, a, a % b)  # Nat.mod_zero / Int.emod_zero; SMT-LIB mod is Euclidean

    def _pow(self, base: Term, exponent: Term, sort: Sort, env: dict[str, Any]) -> Any:
        if env and _mentions_any(exponent, set(env)):
            raise Untranslatable("a power whose exponent is a bound variable")
        try:
            value = Evaluator({}).term(exponent)
        except Unevaluable as error:
            raise Untranslatable("a power whose exponent is not a numeral") from error
        if not isinstance(value, Fraction) or value.denominator != 1:
            raise Untranslatable("a power with a non-integer exponent")
        n = value.numerator
        z3_base = self.term(base, env)
        if n < 0:
            z3_base = z3.If(z3_base == 0, z3.RealVal(0), 1 / z3_base)  # zpow_neg with inv_zero
            n = -n
        if n > MAX_EXPANDED_POWER:
            raise Untranslatable("a power with a large exponent")
        if n == 0:
            return self._constant(Fraction(1), sort)  # pow_zero: 0 ^ 0 = 1
        result = z3_base
        for _ in range(n - 1):
            result = result * z3_base
        return result

    def _call(self, fn: Fn, args: tuple[Term, ...], sort: Sort, env: dict[str, Any]) -> Any:
        values = [self.term(arg, env) for arg in args]
        match fn:
            case Fn.abs:
                return z3.If(values[0] >= 0, values[0], -values[0])
            case Fn.min:
                return z3.If(values[0] <= values[1], values[0], values[1])
            case Fn.max:
                return z3.If(values[0] >= values[1], values[0], values[1])
            case Fn.inv:
                return z3.If(values[0] == 0, z3.RealVal(0), 1 / values[0])  # inv_zero
            case Fn.floor:
                return z3.ToInt(values[0])  # SMT-LIB to_int is the floor (Int.floor_le, Int.lt_floor_add_one)
            case Fn.ceil:
                return -z3.ToInt(
                    -values[0]
                )  # Int.ceil x = -⌊-x⌋ (Int.ceil_eq_neg_floor_neg... by definition)
            case Fn.nat_floor:
                return z3.If(values[0] < 0, z3.IntVal(0), z3.ToInt(values[0]))  # Nat.floor_of_nonpos
            case Fn.sqrt:
                if env and _mentions_any(args[0], set(env)):
                    raise Untranslatable("a square root under a quantifier")
                x = values[0]
                root = self._sqrt(x)
                # Real.sqrt_eq_zero_of_nonpos, Real.sqrt_nonneg, Real.sq_sqrt
                self._fact(("sqrt", x.sexpr()), z3.If(x <= 0, root == 0, z3.And(root >= 0, root * root == x)))
                return root
            case Fn.nat_abs:
                return z3.If(values[0] >= 0, values[0], -values[0])  # Int.natAbs_of_nonneg, Int.natAbs_neg
            case Fn.to_nat:
                return z3.If(
                    values[0] >= 0, values[0], z3.IntVal(0)
                )  # Int.toNat_of_nonneg, Int.toNat_eq_zero
            case Fn.nat_sqrt:
                if env and _mentions_any(args[0], set(env)):
                    raise Untranslatable("Nat.sqrt under a quantifier")
                n = values[0]
                root = z3.Int(f"Nat.sqrt({n.sexpr()})")
                # Nat.sqrt_le' : sqrt n ^ 2 ≤ n, Nat.lt_succ_sqrt' : n < (sqrt n + 1) ^ 2
                self._fact(
                    ("nat_sqrt", n.sexpr()), z3.And(root >= 0, root * root <= n, n < (root + 1) * (root + 1))
                )
                return root
            case Fn.zmod_inv:
                return self._zmod_inv(args, values, env)
            case Fn.factorial | Fn.gcd | Fn.lcm | Fn.choose | Fn.num | Fn.den:
                raise Untranslatable(f"{fn.value} of a non-numeral")
        del sort

    def _zmod_inv(self, args: tuple[Term, ...], values: list[Any], env: dict[str, Any]) -> Any:
        modulus = args[1]
        # is_prime raises Unevaluable past its trial-division limit: such a modulus is not translated either
        if (
            not isinstance(modulus, Num)
            or modulus.value > PRIME_TRIAL_LIMIT
            or not is_prime(int(modulus.value))
        ):
            raise Untranslatable("an inverse in ZMod n for n not a prime numeral")
        if env and _mentions_any(args[0], set(env)):
            raise Untranslatable("an inverse in ZMod under a quantifier")
        a, m = values[0], z3.IntVal(int(modulus.value))
        inverse = z3.Int(f"ZMod.inv({a.sexpr()})")
        # ZMod p for p prime is a field: a ≠ 0 has the unique inverse (ZMod.mul_inv_of_unit), 0⁻¹ = 0
        fact = z3.And(inverse >= 0, inverse < m, z3.If(a % m == 0, inverse == 0, (a * inverse) % m == 1))
        self._fact(("zmod_inv", a.sexpr(), str(modulus.value)), fact)
        return inverse

    def _opaque_app(self, name: str, args: tuple[Term, ...], sort: Sort, env: dict[str, Any]) -> Any:
        values = [self.term(arg, env) for arg in args]
        if name in self.functions:
            application = self.functions[name](*values)
            if sort is Sort.nat and not (env and any(_mentions_any(a, set(env)) for a in args)):
                self._fact(("nat", application.sexpr()), application >= 0)
            return application
        key = (name, len(values))
        if key not in self._opaque:
            domain = [z3.RealSort()] * len(values)
            self._opaque[key] = z3.Function(name, *domain, z3.RealSort()) if values else z3.Real(name)
            if name == "Real.pi":  # Real.pi_gt_3141592, Real.pi_lt_3141593
                self.side.append(z3.And(self._opaque[key] > 3.141592, self._opaque[key] < 3.141593))
        symbol = self._opaque[key]
        return symbol(*values) if values else symbol

    def _unroll(self, domain: Range, env: dict[str, Any]) -> list[int]:
        evaluator = Evaluator({})
        try:
            start = evaluator.term(domain.start)
            stop = evaluator.term(domain.stop)
        except Unevaluable as error:
            raise Untranslatable("a finite range whose bounds are not numerals") from error
        if not isinstance(start, Fraction) or not isinstance(stop, Fraction):
            raise Untranslatable("a finite range with inexact bounds")
        lo, hi = int(start), int(stop)
        if hi - lo > MAX_UNROLL:
            raise Untranslatable("a finite range too large to unroll")
        members = list(range(lo, hi))
        if domain.where is None:
            return members
        where_var = domain.where_var or domain.var
        if env and _formula_mentions_any(domain.where, set(env) - {where_var}):
            raise Untranslatable("a filter that depends on an outer bound variable")
        kept = []
        for k in members:
            truth = evaluator.bind(where_var, k).formula(domain.where)
            if truth is None:
                raise Untranslatable("a filter we cannot evaluate")
            if truth:
                kept.append(k)
        return kept

    # ------------------------------------------------------------------------------------- formulas
    def formula(self, formula: Formula, env: dict[str, Any] | None = None) -> Any:
        env = env or {}
        match formula:
            case Const(value=value):
                return z3.BoolVal(value)
            case Cmp(op=op, left=left, right=right):
                a, b = self.term(left, env), self.term(right, env)
                match op:
                    case CmpOp.eq:
                        return a == b
                    case CmpOp.ne:
                        return a != b
                    case CmpOp.lt:
                        return a < b
                    case CmpOp.le:
                        return a <= b
                    case CmpOp.gt:
                        return a > b
                    case CmpOp.ge:
                        return a >= b
            case Dvd(left=left, right=right):
                a, b = self.term(left, env), self.term(right, env)
                return z3.If(a == 0, b == 0, b % a == 0)  # Int.dvd_iff_emod_eq_zero, zero_dvd_iff
            case Pred(predicate=predicate, arg=arg):
                x = self.term(arg, env)
                match predicate:
                    case Predicate.even:
                        return x % 2 == 0  # Int.even_iff
                    case Predicate.odd:
                        return x % 2 == 1  # Int.odd_iff
                    case Predicate.prime:
                        return self._prime_of(arg, x, env)
            case Not(arg=arg):
                return z3.Not(self.formula(arg, env))
            case Logic(op=op, left=left, right=right):
                a, b = self.formula(left, env), self.formula(right, env)
                match op:
                    case Connective.and_:
                        return z3.And(a, b)
                    case Connective.or_:
                        return z3.Or(a, b)
                    case Connective.implies:
                        return z3.Implies(a, b)
                    case Connective.iff:
                        return a == b
            case Quant(forall=forall, var=var, sort=sort, body=body, domain=domain):
                return self._quantifier(forall, var, sort, body, domain, env)

    def _prime_of(self, arg: Term, x: Any, env: dict[str, Any]) -> Any:
        try:
            value = Evaluator({}).formula(Pred(Predicate.prime, arg)) if not env else None
        except Unevaluable:
            value = None
        if value is not None:
            return z3.BoolVal(value)
        if env and _mentions_any(arg, set(env)):
            raise Untranslatable("Nat.Prime under a quantifier")
        holds = self._prime(x)
        small = z3.Or(*[x == p for p in _primes_below(PRIME_TABLE_LIMIT)])
        # Nat.Prime.two_le; the primes up to the table limit are exactly those listed
        fact = z3.And(z3.Implies(holds, x >= 2), z3.Implies(x <= PRIME_TABLE_LIMIT, holds == small))
        self._fact(("prime", x.sexpr()), fact)
        return holds

    def _quantifier(
        self, forall: bool, var: str, sort: Sort, body: Formula, domain: Range | None, env: dict[str, Any]
    ) -> Any:
        if domain is not None:
            try:
                members = self._unroll(domain, env)
            except Untranslatable:
                members = None
            if members is not None:
                parts = [self.formula(body, {**env, var: z3.IntVal(k)}) for k in members]
                if not parts:
                    return z3.BoolVal(forall)
                return z3.And(*parts) if forall else z3.Or(*parts)
        if sort is Sort.rat:
            raise Untranslatable("a quantifier over ℚ (Z3 only knows ℝ)")
        symbol = z3.FreshConst(self._z3_sort(sort), prefix=var)
        inner = {**env, var: symbol}
        guards = []
        if sort is Sort.nat:
            guards.append(symbol >= 0)
        if domain is not None:
            guards.append(symbol >= self.term(domain.start, env))
            guards.append(symbol < self.term(domain.stop, env))
            if domain.where is not None:
                guards.append(self.formula(domain.where, {**env, domain.where_var or domain.var: symbol}))
        matrix = self.formula(body, inner)
        if forall:
            return z3.ForAll([symbol], z3.Implies(z3.And(*guards), matrix) if guards else matrix)
        return z3.Exists([symbol], z3.And(*guards, matrix) if guards else matrix)


def _sort_of(term: Term) -> Sort:
    return term.sort


def _children(term: Term) -> list[Term]:
    match term:
        case Num() | Var():
            return []
        case Coe(arg=arg) | Neg(arg=arg):
            return [arg]
        case Arith(left=left, right=right):
            return [left, right]
        case Pow(base=base, exponent=exponent):
            return [base, exponent]
        case Call(args=args) | Opaque(args=args):
            return list(args)
        case BigOp(domain=domain, body=body):
            return [domain.start, domain.stop, body]
        case Card(domain=domain):
            return [domain.start, domain.stop]


def _mentions_any(term: Term, names: set[str]) -> bool:
    if isinstance(term, Var):
        return term.name in names
    if (
        isinstance(term, BigOp | Card)
        and term.domain.where is not None
        and _formula_mentions_any(term.domain.where, names - {term.domain.where_var or term.domain.var})
    ):
        return True
    return any(_mentions_any(child, names) for child in _children(term))


def _formula_mentions_any(formula: Formula, names: set[str]) -> bool:
    match formula:
        case Const():
            return False
        case Cmp(left=left, right=right) | Dvd(left=left, right=right):
            return _mentions_any(left, names) or _mentions_any(right, names)
        case Pred(arg=arg):
            return _mentions_any(arg, names)
        case Not(arg=arg):
            return _formula_mentions_any(arg, names)
        case Logic(left=left, right=right):
            return _formula_mentions_any(left, names) or _formula_mentions_any(right, names)
        case Quant(var=var, body=body):
            return _formula_mentions_any(body, names - {var})


def model_values(model: Any, translator: Translator) -> dict[str, Fraction | None]:
    """Exact values of the free variables in a Z3 model; None where Z3 chose an irrational algebraic number."""
    values: dict[str, Fraction | None] = {}
    for name, symbol in translator.free.items():
        value = model.eval(symbol, model_completion=True)
        if z3.is_int_value(value):
            values[name] = Fraction(value.as_long())
        elif z3.is_rational_value(value):
            values[name] = Fraction(value.numerator_as_long(), value.denominator_as_long())
        else:
            values[name] = None
    return values
