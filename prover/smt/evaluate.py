"""Exact evaluation of the typed core in Python, with Lean's semantics; the judge of every counterexample.

Numbers are ``Fraction`` (exact) or ``Interval`` (a closed rational interval, where square roots or π
appear). A comparison of intervals that overlap is undetermined (``None``), never guessed. Each totalised
operation follows the Mathlib lemma cited beside it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
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
    Definition,
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
    Predicate,
    Quant,
    Range,
    Sort,
    Term,
    Var,
)

SQRT_BITS = 160  # width of a square-root interval: 2^-160
MAX_RANGE = 100_000  # largest ∑/∏/∀ range unrolled
MAX_RESULT_BITS = 200_000  # refuse powers and factorials whose value would exceed this
PRIME_TRIAL_LIMIT = 10**12
ROUNDING_DENOMINATOR = 1 << (SQRT_BITS + 32)
PI_LOW = Fraction(314159265358979323846, 10**20)
PI_HIGH = Fraction(314159265358979323847, 10**20)


class Unevaluable(Exception):
    """This term has no exact value here (an opaque function, a free variable without value, too large)."""


@dataclass(frozen=True, slots=True)
class Interval:
    lo: Fraction
    hi: Fraction

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError("empty interval")


Value = Fraction | Interval
Truth = bool | None  # None: undetermined


def _bounds(value: Value) -> tuple[Fraction, Fraction]:
    return (value, value) if isinstance(value, Fraction) else (value.lo, value.hi)


def _make(lo: Fraction, hi: Fraction) -> Value:
    if lo == hi:
        return lo
    if lo.denominator > ROUNDING_DENOMINATOR or hi.denominator > ROUNDING_DENOMINATOR:
        # round outward to a dyadic grid so long interval sums keep small denominators (still sound)
        scale = 1 << SQRT_BITS
        lo = Fraction(math.floor(lo * scale), scale)
        hi = Fraction(math.ceil(hi * scale), scale)
    return Interval(lo, hi)


def _exact(value: Value) -> Fraction:
    if isinstance(value, Interval):
        raise Unevaluable("an approximate value where an exact one is needed")
    return value


def _integer(value: Value) -> int:
    exact = _exact(value)
    if exact.denominator != 1:
        raise Unevaluable("a non-integer in integer arithmetic")
    return exact.numerator


# ------------------------------------------------------------------------------- Lean's operations
def nat_sub(a: int, b: int) -> int:
    return max(a - b, 0)  # Nat.sub_eq_zero_of_le: a ≤ b → a - b = 0


def int_div(a: int, b: int, sort: Sort) -> int:
    if b == 0:
        return 0  # Nat.div_zero, Int.ediv_zero: a / 0 = 0
    if sort is Sort.nat or b > 0:
        return a // b  # Nat.div is floor; Int.ediv rounds down for b > 0
    return -(a // -b)  # Int.ediv_neg: a / -b = -(a / b) (Euclidean: the remainder stays ≥ 0)


def int_mod(a: int, b: int, sort: Sort) -> int:
    if b == 0:
        return a  # Nat.mod_zero, Int.emod_zero: a % 0 = a
    return a - b * int_div(a, b, sort)  # Int.emod_def / Nat.div_add_mod: 0 ≤ a % b < |b|


def field_div(a: Value, b: Value) -> Value:
    if isinstance(b, Fraction) and b == 0:
        return Fraction(0)  # div_zero: a / 0 = 0
    return _mul(a, _inv(b))


def _inv(a: Value) -> Value:
    if isinstance(a, Fraction):
        return Fraction(0) if a == 0 else 1 / a  # inv_zero: 0⁻¹ = 0
    if a.lo <= 0 <= a.hi:
        raise Unevaluable("inverse of an interval around 0")
    return _make(1 / a.hi, 1 / a.lo)


def _add(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b
    (alo, ahi), (blo, bhi) = _bounds(a), _bounds(b)
    return _make(alo + blo, ahi + bhi)


def _neg(a: Value) -> Value:
    if isinstance(a, Fraction):
        return -a
    return Interval(-a.hi, -a.lo)


def _mul(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a * b
    if (isinstance(a, Fraction) and a == 0) or (isinstance(b, Fraction) and b == 0):
        return Fraction(0)
    (alo, ahi), (blo, bhi) = _bounds(a), _bounds(b)
    products = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    return _make(min(products), max(products))


def _pow(a: Value, exponent: int) -> Value:
    if exponent < 0:
        return _pow(_inv(a), -exponent)  # zpow_neg: a ^ (-n) = (a ^ n)⁻¹, with inv_zero
    if isinstance(a, Fraction):
        size = max(abs(a.numerator), a.denominator).bit_length()
        if size * exponent > MAX_RESULT_BITS:
            raise Unevaluable("power too large to evaluate")
        return a**exponent  # pow_zero: a ^ 0 = 1, also for a = 0
    if exponent > 64:
        raise Unevaluable("interval power too large")
    result: Value = Fraction(1)
    for _ in range(exponent):
        result = _mul(result, a)
    return result


def _sqrt(a: Value) -> Value:
    lo, hi = _bounds(a)
    if hi <= 0:
        return Fraction(0)  # Real.sqrt_eq_zero_of_nonpos: x ≤ 0 → √x = 0
    if lo < 0:
        raise Unevaluable("square root of an interval around 0")
    if lo == hi:
        num, den = math.isqrt(lo.numerator), math.isqrt(lo.denominator)
        if num * num == lo.numerator and den * den == lo.denominator:
            return Fraction(num, den)  # exact square of a rational
    return _make(_sqrt_below(lo), _sqrt_above(hi))


def _sqrt_below(x: Fraction) -> Fraction:
    scale = 1 << SQRT_BITS
    return Fraction(math.isqrt(x.numerator * scale * scale // x.denominator), scale)


def _sqrt_above(x: Fraction) -> Fraction:
    below = _sqrt_below(x)
    return below if below * below == x else below + Fraction(1, 1 << SQRT_BITS)


def _root(a: Value, q: int) -> Value:
    """The real ``q``-th root of ``a ≥ 0``: exact for a perfect power, else rounded outward to 2^-SQRT_BITS."""
    if q > 64:
        raise Unevaluable("root of too high an order")
    lo, hi = _bounds(a)
    if lo < 0:
        raise Unevaluable("root of a negative number")
    if lo == hi:
        num, den = _iroot(lo.numerator, q), _iroot(lo.denominator, q)
        if num**q == lo.numerator and den**q == lo.denominator:
            return Fraction(num, den)  # a perfect power
    scale = 1 << SQRT_BITS
    below = Fraction(_iroot(math.floor(lo * scale**q), q), scale)  # below ** q ≤ lo
    above = Fraction(_iroot(math.ceil(hi * scale**q), q) + 1, scale)  # above ** q > hi
    return _make(below, above)


def _iroot(n: int, q: int) -> int:
    """The largest r with r ** q ≤ n (n ≥ 0)."""
    if n < 2:
        return n
    r = 1 << ((n.bit_length() + q - 1) // q)  # r ** q > n
    while True:  # Newton's iteration from above decreases to the floor root
        s = ((q - 1) * r + n // r ** (q - 1)) // q
        if s >= r:
            break
        r = s
    while r**q > n:
        r -= 1
    while (r + 1) ** q <= n:
        r += 1
    return r


def _floor(a: Value) -> int:
    lo, hi = _bounds(a)
    if math.floor(lo) != math.floor(hi):
        raise Unevaluable("floor of an interval across an integer")
    return math.floor(lo)


def _ceil(a: Value) -> int:
    lo, hi = _bounds(a)
    if math.ceil(lo) != math.ceil(hi):
        raise Unevaluable("ceiling of an interval across an integer")
    return math.ceil(lo)


def is_prime(n: int) -> bool:
    if n > PRIME_TRIAL_LIMIT:
        raise Unevaluable("primality of a large number")
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, math.isqrt(n) + 1, 2))


# ---------------------------------------------------------------------------------------- evaluator
class Evaluator:
    """Evaluates core terms and formulas under an assignment of the free variables.

    ``definitions`` give function variables their values (``Definition``); any other function is opaque.
    """

    def __init__(
        self,
        assignment: dict[str, Fraction],
        deadline: float | None = None,
        definitions: tuple[Definition, ...] = (),
    ) -> None:
        self.assignment = assignment
        self.deadline = deadline  # time.monotonic() after which loops give up (Unevaluable)
        self.definitions = {d.name: d for d in definitions}

    def _within_budget(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Unevaluable("evaluation time budget exhausted")

    def term(self, term: Term) -> Value:
        match term:
            case Num(value=value):
                return value
            case Var(name=name):
                if name not in self.assignment:
                    raise Unevaluable(f"no value for {name}")
                return self.assignment[name]
            case Coe(arg=arg):
                return self.term(arg)  # Nat.cast_inj, Int.cast_inj: casts keep the value
            case Neg(arg=arg):
                return _neg(self.term(arg))
            case Arith(op=op, left=left, right=right, sort=sort):
                return self._arith(op, self.term(left), self.term(right), sort)
            case Pow(base=base, exponent=exponent):
                return _pow(self.term(base), _integer(self.term(exponent)))
            case Call(fn=fn, args=args):
                return self._call(fn, [self.term(arg) for arg in args])
            case Opaque(name="Real.pi"):
                return Interval(PI_LOW, PI_HIGH)
            case Opaque(name="Real.rpow", args=(base, exponent)):
                return self._rpow(base, exponent)
            case Opaque(name=name, args=args) if name in self.definitions:
                return self._apply(self.definitions[name], [self.term(arg) for arg in args])
            case Opaque(name=name):
                raise Unevaluable(f"{name} is uninterpreted")
            case BigOp(product=product, domain=domain, body=body):
                result: Value = Fraction(1 if product else 0)
                for member in self.members(domain):
                    self._within_budget()
                    inner = self.bind(domain.var, member)
                    item = inner.term(body)
                    result = _mul(result, item) if product else _add(result, item)
                return result
            case Card(domain=domain):
                return Fraction(sum(1 for _ in self.members(domain)))

    def _apply(self, definition: Definition, args: list[Value]) -> Value:
        """``f args`` for a defined ``f``: its body with the parameters bound (outside its guard: no value)."""
        values = {param.name: _exact(arg) for param, arg in zip(definition.params, args, strict=True)}
        inner = Evaluator({**self.assignment, **values}, self.deadline, tuple(self.definitions.values()))
        if definition.guard is not None and inner.formula(definition.guard) is not True:
            raise Unevaluable(f"{definition.name} outside the domain its hypothesis defines")
        return inner.term(definition.body)

    def _rpow(self, base_term: Term, exponent_term: Term) -> Value:
        """``Real.rpow``, exactly where the value is rational, else an outward-rounded interval."""
        base = self.term(base_term)
        if base == 1:
            return Fraction(1)  # Real.one_rpow: 1 ^ y = 1
        exponent = _exact(self.term(exponent_term))
        if exponent == 0:
            return Fraction(1)  # Real.rpow_zero: x ^ 0 = 1 (also 0 ^ 0 = 1)
        if exponent.denominator == 1:
            return _pow(base, exponent.numerator)  # Real.rpow_intCast: x ^ (n : ℝ) = x ^ n (zpow)
        if base == 0:
            return Fraction(0)  # Real.zero_rpow: y ≠ 0 → 0 ^ y = 0
        if _bounds(base)[0] <= 0:
            raise Unevaluable("a non-integer real power of a base that may be ≤ 0")  # Real.rpow_def_of_neg
        # 0 < x: x ^ (p / q) = (x ^ p) ^ (1 / q) (Real.rpow_mul, Real.rpow_intCast), the unique positive q-th
        # root of x ^ p (Real.rpow_inv_natCast_pow), increasing in its argument (Real.rpow_le_rpow)
        return _root(_pow(base, exponent.numerator), exponent.denominator)

    def _arith(self, op: ArithOp, a: Value, b: Value, sort: Sort) -> Value:
        if sort.is_integral:
            x, y = _integer(a), _integer(b)
            match op:
                case ArithOp.add:
                    return Fraction(x + y)
                case ArithOp.sub:
                    return Fraction(nat_sub(x, y) if sort is Sort.nat else x - y)
                case ArithOp.mul:
                    return Fraction(x * y)
                case ArithOp.div:
                    return Fraction(int_div(x, y, sort))
                case ArithOp.mod:
                    return Fraction(int_mod(x, y, sort))
        match op:
            case ArithOp.add:
                return _add(a, b)
            case ArithOp.sub:
                return _add(a, _neg(b))
            case ArithOp.mul:
                return _mul(a, b)
            case ArithOp.div:
                return field_div(a, b)
            case ArithOp.mod:
                raise Unevaluable("% in a field")

    def _call(self, fn: Fn, args: list[Value]) -> Value:
        match fn:
            case Fn.abs:
                lo, hi = _bounds(args[0])
                if lo >= 0:
                    return args[0]
                if hi <= 0:
                    return _neg(args[0])
                return Interval(Fraction(0), max(-lo, hi))
            case Fn.min | Fn.max:
                (alo, ahi), (blo, bhi) = _bounds(args[0]), _bounds(args[1])
                pick = min if fn is Fn.min else max
                return _make(pick(alo, blo), pick(ahi, bhi))
            case Fn.sqrt:
                return _sqrt(args[0])
            case Fn.inv:
                return _inv(args[0])
            case Fn.floor:
                return Fraction(_floor(args[0]))
            case Fn.ceil:
                return Fraction(_ceil(args[0]))
            case Fn.nat_floor:
                return Fraction(max(_floor(args[0]), 0))  # Nat.floor_of_nonpos: x ≤ 0 → ⌊x⌋₊ = 0
            case Fn.factorial:
                n = _integer(args[0])
                if n > 5000:
                    raise Unevaluable("factorial too large")
                return Fraction(math.factorial(n))
            case Fn.gcd:
                return Fraction(math.gcd(_integer(args[0]), _integer(args[1])))  # Nat.gcd_zero_left
            case Fn.lcm:
                return Fraction(math.lcm(_integer(args[0]), _integer(args[1])))  # Nat.lcm_zero_left
            case Fn.choose:
                n, k = _integer(args[0]), _integer(args[1])
                if n > 5000:
                    raise Unevaluable("binomial coefficient too large")
                # Nat.choose_eq_factorial_div_factorial (k ≤ n), Nat.choose_eq_zero_of_lt (n < k)
                return Fraction(math.comb(n, k))
            case Fn.nat_sqrt:
                # Nat.sqrt_le' : sqrt n ^ 2 ≤ n, Nat.lt_succ_sqrt' : n < (sqrt n + 1) ^ 2
                return Fraction(math.isqrt(_integer(args[0])))
            case Fn.nat_abs:
                return Fraction(abs(_integer(args[0])))  # Int.natAbs_of_nonneg, Int.natAbs_neg
            case Fn.to_nat:
                return Fraction(max(_integer(args[0]), 0))  # Int.toNat_of_nonneg, Int.toNat_eq_zero
            case Fn.num:
                return Fraction(_exact(args[0]).numerator)  # Rat.num: numerator in lowest terms (Rat.reduced)
            case Fn.zmod_inv:
                a, m = _integer(args[0]), _integer(args[1])
                residue = a % m
                if residue == 0:
                    return Fraction(0)  # ZMod.inv_zero
                if math.gcd(residue, m) != 1:
                    raise Unevaluable("the inverse of a non-unit in ZMod")  # ZMod.inv is gcdA there
                return Fraction(pow(residue, -1, m))  # ZMod.mul_inv_of_unit: the unique inverse of a unit
            case Fn.den:
                return Fraction(_exact(args[0]).denominator)  # Rat.den: positive (Rat.den_pos), reduced

    def bind(self, name: str, value: int | Fraction) -> Evaluator:
        definitions = tuple(self.definitions.values())
        return Evaluator({**self.assignment, name: Fraction(value)}, self.deadline, definitions)

    def members(self, domain: Range) -> list[int]:
        start, stop = _integer(self.term(domain.start)), _integer(self.term(domain.stop))
        if stop - start > MAX_RANGE:
            raise Unevaluable("range too large to unroll")
        values = list(range(start, stop))
        if domain.where is None:
            return values
        where, where_var = domain.where, domain.where_var or domain.var
        kept: list[int] = []
        for value in values:
            self._within_budget()
            truth = self.bind(where_var, value).formula(where)
            if truth is None:
                raise Unevaluable("undetermined filter")
            if truth:
                kept.append(value)
        return kept

    # ------------------------------------------------------------------------------------ formulas
    def formula(self, formula: Formula) -> Truth:
        try:
            return self._formula(formula)
        except Unevaluable:
            return None

    def _formula(self, formula: Formula) -> Truth:
        match formula:
            case Const(value=value):
                return value
            case Cmp(op=op, left=left, right=right):
                return compare(op, self.term(left), self.term(right))
            case Dvd(left=left, right=right):
                a, b = _integer(self.term(left)), _integer(self.term(right))
                # Nat.dvd_iff_mod_eq_zero / Int.dvd_iff_emod_eq_zero (0 ∣ b ↔ b = 0 via mod_zero)
                return int_mod(b, a, Sort.int) == 0
            case Pred(predicate=predicate, arg=arg):
                n = _integer(self.term(arg))
                match predicate:
                    case Predicate.even:
                        return n % 2 == 0  # Int.even_iff: Even n ↔ n % 2 = 0
                    case Predicate.odd:
                        return n % 2 == 1  # Int.odd_iff: Odd n ↔ n % 2 = 1
                    case Predicate.prime:
                        return is_prime(n)
            case Not(arg=arg):
                truth = self.formula(arg)
                return None if truth is None else not truth
            case Logic(op=op, left=left, right=right):
                return self._logic(op, left, right)
            case Quant(forall=forall, var=var, body=body, domain=domain):
                if domain is None:
                    return None  # an unbounded quantifier cannot be checked by enumeration
                undetermined = False
                for member in self.members(domain):
                    self._within_budget()
                    truth = self.bind(var, member).formula(body)
                    if truth is None:
                        undetermined = True
                    elif truth != forall:
                        return truth
                return None if undetermined else forall

    def _logic(self, op: Connective, left: Formula, right: Formula) -> Truth:
        a = self.formula(left)
        match op:
            case Connective.and_:
                if a is False:
                    return False
                b = self.formula(right)
                return False if b is False else (None if a is None or b is None else True)
            case Connective.or_:
                if a is True:
                    return True
                b = self.formula(right)
                return True if b is True else (None if a is None or b is None else False)
            case Connective.implies:
                if a is False:
                    return True
                b = self.formula(right)
                return True if b is True else (None if a is None or b is None else False)
            case Connective.iff:
                b = self.formula(right)
                return None if a is None or b is None else a == b


def compare(op: CmpOp, a: Value, b: Value) -> Truth:
    (alo, ahi), (blo, bhi) = _bounds(a), _bounds(b)
    exact = alo == ahi and blo == bhi
    match op:
        case CmpOp.eq | CmpOp.ne:
            if exact:
                equal: Truth = alo == blo
            elif ahi < blo or bhi < alo:
                equal = False
            else:
                return None
            return equal if op is CmpOp.eq else not equal
        case CmpOp.lt:
            return True if ahi < blo else (False if alo >= bhi else None)
        case CmpOp.le:
            return True if ahi <= blo else (False if alo > bhi else None)
        case CmpOp.gt:
            return compare(CmpOp.lt, b, a)
        case CmpOp.ge:
            return compare(CmpOp.le, b, a)
