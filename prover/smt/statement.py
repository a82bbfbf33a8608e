"""Goal text and theorem statements → a ``Query`` (variables, hypotheses, target).

Goal text is what the REPL prints: ``x y : ℝ`` / ``h₀ : 0 < x`` lines (continuation lines indented), then
``⊢ target``. A statement is ``theorem name binders : type`` (docstrings, comments and a header allowed).
The binder splitter here is deliberately small; it only needs bracket depth, not Lean's full grammar.

Binders whose type is a number sort or a function between number sorts become variables; a few known
non-number types (``ℂ``, ``Set ℕ``...) become names we cannot use; every other binder is a hypothesis. A
hypothesis we cannot elaborate is *dropped* and recorded, so a counterexample is never claimed without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from prover.smt.core import (
    Cmp,
    CmpOp,
    Connective,
    Const,
    Definition,
    Dvd,
    Formula,
    FunctionDecl,
    Hypothesis,
    Logic,
    Not,
    Num,
    Opaque,
    OutsideFragment,
    Pred,
    Quant,
    Query,
    Range,
    Sort,
    Var,
    free_names,
    function_names,
    rename,
    rename_formula,
)
from prover.smt.elaborate import (
    Scope,
    bounds_of,
    elab_prop,
    finite_range,
    parse_function_type,
    parse_sort,
    resolve,
    usage_sort,
    zmod_type,
)
from prover.smt.parse import parse_expression
from prover.smt.syntax import SApp, SAscribe, SBin, SBinder, SChain, SName, SNum, SUn, Surface

OPAQUE_TYPE_HEADS = ("Prop", "Type", "Set", "Finset", "List", "Polynomial", "Fin", "Matrix")
DECLARATION = re.compile(
    r"(?:^|\n)\s*(?:@\[[^\]]*\]\s*)?(?:private\s+|protected\s+)?(theorem|lemma|example)\b"
)
OPENERS = {"(": ")", "{": "}", "[": "]", "⦃": "⦄", "⟨": "⟩"}


@dataclass(frozen=True, slots=True)
class Binder:
    names: tuple[str, ...]
    type_text: str
    instance: bool = False
    typed: bool = True  # False: `(n)`, whose type Lean infers from its uses


@dataclass(frozen=True, slots=True)
class Declaration:
    """A theorem header: its name, binders and the statement's type (the proposition)."""

    name: str
    binders: tuple[Binder, ...]
    type_text: str


def strip_comments(text: str) -> str:
    text = re.sub(r"/-.*?-/", " ", text, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", text)


def _matching(text: str, start: int) -> int:
    """Index just past the bracket group that opens at ``start``."""
    stack = [OPENERS[text[start]]]
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch in OPENERS:
            stack.append(OPENERS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise OutsideFragment("unbalanced brackets in the statement")


def _top_level(text: str, needle: str, start: int = 0) -> int:
    """First index of ``needle`` outside brackets, or -1."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch in OPENERS:
            depth += 1
        elif ch in OPENERS.values():
            depth -= 1
        elif depth == 0 and text.startswith(needle, i):
            return i
        i += 1
    return -1


def split_declarations(text: str) -> list[Declaration]:
    """Every ``theorem``/``lemma``/``example`` header in ``text``, in order."""
    text = strip_comments(text)
    starts = [match.end() for match in DECLARATION.finditer(text)]
    kinds = [match.group(1) for match in DECLARATION.finditer(text)]
    declarations = []
    for index, (start, kind) in enumerate(zip(starts, kinds, strict=True)):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        declarations.append(_split_one(text[start:end], kind))
    return declarations


def _split_one(text: str, kind: str) -> Declaration:
    i = 0
    name = "example"
    rest = text.lstrip()
    if kind != "example":
        match = re.match(r"\s*([^\s(\[{⦃:]+)", text)
        if match is None:
            raise OutsideFragment("declaration without a name")
        name = match.group(1)
        rest = text[match.end() :]
    binders: list[Binder] = []
    while True:
        stripped = rest.lstrip()
        if not stripped or stripped[0] not in "({[⦃":
            break
        i = len(rest) - len(stripped)
        end = _matching(rest, i)
        group = rest[i + 1 : end - 1]
        colon = _top_level(group, ":")
        if colon < 0:
            if rest[i] == "[":
                binders.append(Binder((), group.strip(), instance=True))
            elif all(re.fullmatch(r"[^\W\d][\w'✝]*", word) for word in group.split()) and group.split():
                binders.append(Binder(tuple(group.split()), "", typed=False))
            else:
                raise OutsideFragment(f"binder without a type: {group.strip()!r}")
        else:
            binders.append(Binder(tuple(group[:colon].split()), group[colon + 1 :].strip(), rest[i] == "["))
        rest = rest[end:]
    stripped = rest.lstrip()
    if not stripped.startswith(":"):
        raise OutsideFragment("statement has no `: type` after its binders")
    body = stripped[1:]
    stop = _top_level(body, ":=")
    type_text = body if stop < 0 else body[:stop]
    return Declaration(name, tuple(binders), type_text.strip())


def split_goal(goal_text: str) -> tuple[list[tuple[tuple[str, ...], str]], str]:
    """Hypothesis lines ``names : type`` and the target of one printed goal."""
    lines: list[str] = []
    for raw in goal_text.strip().splitlines():
        if raw.startswith("case ") and not lines:
            continue
        if lines and raw[:1].isspace():
            lines[-1] += " " + raw.strip()
        else:
            lines.append(raw.strip())
    targets = [i for i, line in enumerate(lines) if line.startswith("⊢")]
    if len(targets) != 1:
        raise OutsideFragment("expected exactly one `⊢` in the goal text")
    index = targets[0]
    target = " ".join([lines[index][1:], *lines[index + 1 :]]).strip()
    entries: list[tuple[tuple[str, ...], str]] = []
    for line in lines[:index]:
        colon = _top_level(line, " : ")
        if colon < 0:
            raise OutsideFragment(f"unreadable hypothesis line {line!r}")
        entries.append((tuple(line[:colon].split()), line[colon + 3 :].strip()))
    return entries, target


AUTO_BOUND = re.compile(r"[A-Za-z][0-9₀-₉']*")  # what Lean binds automatically (relaxedAutoImplicit off)
# Subtypes modeled by their carrier plus a bound hypothesis: NNReal is ℝ with x ≥ 0 (NNReal.coe_nonneg; +, *, /,
# ⁻¹, ^, √, order agree: NNReal.coe_add, coe_mul, coe_div, coe_inv, coe_pow, coe_sqrt, coe_le_coe), ℕ+ is ℕ with
# n ≥ 1 (PNat.pos; PNat.add_coe, mul_coe, pow_coe). Their subtraction differs (truncated at 0, resp. 1): a
# statement that subtracts (or divides, on ℕ+) near such a variable is left unsupported.
SUBTYPES = {"NNReal": (Sort.real, 0, {"-"}), "ℝ≥0": (Sort.real, 0, {"-"}), "ℕ+": (Sort.nat, 1, {"-", "/", "%"}),
            "PNat": (Sort.nat, 1, {"-", "/", "%"})}  # fmt: skip
FINSET_SORTS = {"Finset ℕ": Sort.nat, "Finset Nat": Sort.nat, "Finset ℤ": Sort.int, "Finset Int": Sort.int,
                "Set ℕ": Sort.nat, "Set Nat": Sort.nat, "Set ℤ": Sort.int, "Set Int": Sort.int}  # fmt: skip


def _parsed(type_text: str | None) -> Surface | None:
    if type_text is None:
        return None
    try:
        return parse_expression(type_text)
    except OutsideFragment:
        return None


def _free_surface_names(surface: Surface, bound: frozenset[str] = frozenset()) -> set[str]:
    """Identifiers used as values in ``surface`` outside the binders that bind them (not function heads)."""
    match surface:
        case SName(name=name):
            return set() if name in bound else {name}
        case SNum():
            return set()
        case SApp(args=args):
            return set().union(*(_free_surface_names(arg, bound) for arg in args))
        case SBin(left=left, right=right):
            return _free_surface_names(left, bound) | _free_surface_names(right, bound)
        case SChain(items=items):
            return set().union(*(_free_surface_names(item, bound) for item in items))
        case SUn(arg=arg) | SAscribe(expr=arg):
            return _free_surface_names(arg, bound)
        case SBinder(names=names, bound=predicate, body=body):
            inner = bound | {name for name, _ in names}
            found = _free_surface_names(body, inner)
            return found | (set() if predicate is None else _free_surface_names(predicate[1], bound))


def _plain(name: str, surface: Surface, scope: Scope, *, ascribed: bool = False) -> bool:
    """Whether ``name`` occurs in ``surface`` only as an operand of arithmetic and relations, where Lean's
    default numeral type (ℕ) decides its type; an argument of a function, an ascription or a cast does not
    (with ``ascribed``, an ascription ``(name : T)`` does: it types the name as T)."""
    match surface:
        case SName() | SNum():
            return True
        case SApp(fn=fn, args=args):
            if resolve(fn, scope) not in scope.functions and SName(name) in args:
                return False
            return all(_plain(name, arg, scope, ascribed=ascribed) for arg in args)
        case SAscribe(expr=SName(name=other)):
            return ascribed or other != name
        case SUn(op="↑", arg=SName(name=other)):
            return other != name
        case SBin(left=left, right=right):
            return _plain(name, left, scope, ascribed=ascribed) and _plain(
                name, right, scope, ascribed=ascribed
            )
        case SChain(items=items):
            return all(_plain(name, item, scope, ascribed=ascribed) for item in items)
        case SUn(arg=arg) | SAscribe(expr=arg):
            return _plain(name, arg, scope, ascribed=ascribed)
        case SBinder(names=names, bound=predicate, body=body):
            plain_bound = predicate is None or _plain(name, predicate[1], scope, ascribed=ascribed)
            rebound = any(n == name for n, _ in names)
            return plain_bound and (rebound or _plain(name, body, scope, ascribed=ascribed))


def _untyped_sort(name: str, later: list[Surface | None], scope: Scope) -> Sort | None:
    """The type Lean gives a binder written without one (``(n)``, an auto-bound ``n``), from its uses.

    The first use decides: the type of a typed partner or of a function parameter, or ℕ (the default
    instance of numerals) when it is a plain arithmetic operand. Later uses must agree (plain ones always
    do once a type is known; after a plain first use, all must be plain). None when a use says nothing we
    can read or the uses could disagree: the name then stays unknown, and what mentions it is dropped.
    """
    verdicts: list[Sort | str] = []  # a sort, "plain", or "unknown"
    for surface in later:
        if surface is None or name not in _free_surface_names(surface):
            continue
        if not _plain(name, surface, scope, ascribed=True):
            return None  # an argument of a function whose parameter type we do not know, or a cast
        try:
            found = usage_sort(name, surface, scope)
        except OutsideFragment:
            return None
        verdicts.append(
            found if found is not None else ("plain" if _plain(name, surface, scope) else "unknown")
        )
    if not verdicts or "unknown" in verdicts:
        return None
    first = verdicts[0]
    if first == "plain":
        return Sort.nat if all(v == "plain" for v in verdicts) else None
    return first if all(v in ("plain", first) for v in verdicts) and isinstance(first, Sort) else None


@dataclass
class _Builder:
    """The state of ``build_query``: what is in scope after each binder, in order (later binders shadow)."""

    goal_mode: bool
    variables: dict[str, Sort] = field(default_factory=dict)
    functions: dict[str, FunctionDecl] = field(default_factory=dict)
    sets: dict[str, Range] = field(default_factory=dict)
    pending_sets: dict[str, Sort] = field(default_factory=dict)  # `S : Finset ℕ` not pinned (yet)
    hypotheses: list[Hypothesis] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    pinned: list[tuple[str, str]] = field(default_factory=list)  # (set, hypothesis)
    subtypes: dict[str, set[str]] = field(default_factory=dict)  # NNReal / ℕ+ variable -> its forbidden ops
    zmod: dict[str, int] = field(default_factory=dict)  # ZMod m variable -> m

    def scope(self) -> Scope:
        return Scope(
            dict(self.variables),
            dict(self.functions),
            self.goal_mode,
            sets=dict(self.sets),
            zmod=dict(self.zmod),
        )

    def taken(self) -> set[str]:
        hidden = {v for h in self.hypotheses for v in free_names(h.formula)}
        return set(self.variables) | set(self.functions) | {h.name for h in self.hypotheses} | hidden

    def _inaccessible(self, name: str) -> str:
        """Lean's name for a shadowed binder: ``n✝``, ``n✝¹``, ..."""
        taken = self.taken() | set(self.dropped)
        for k in range(100):
            candidate = f"{name}✝" + (
                "" if k == 0 else str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
            )
            if candidate not in taken:
                return candidate
        raise OutsideFragment(f"too many binders named {name}")

    def shadow(self, name: str) -> None:
        """A new binder ``name``: the one it hides keeps its meaning under an inaccessible name."""
        self.pending_sets.pop(name, None)
        self.subtypes.pop(name, None)
        self.zmod.pop(name, None)
        self.sets.pop(name, None)
        old_names = {h.name for h in self.hypotheses} | set(self.dropped)
        if name in old_names:
            fresh = self._inaccessible(name)
            self.hypotheses = [Hypothesis(fresh, h.formula) if h.name == name else h for h in self.hypotheses]
            self.dropped = [fresh if d == name else d for d in self.dropped]
            self.definitions = [
                replace(d, hypothesis=fresh) if d.hypothesis == name else d for d in self.definitions
            ]
        if name not in self.variables and name not in self.functions:
            return
        fresh = self._inaccessible(name)
        parts = [(f"{name}.re", f"{fresh}.re"), (f"{name}.im", f"{fresh}.im")]
        for old, new in [(name, fresh), *(parts if self.variables.get(name) is Sort.complex else [])]:
            self.hypotheses = [
                Hypothesis(h.name, rename_formula(h.formula, old, new)) for h in self.hypotheses
            ]
            self.definitions = [_rename_definition(d, old, new) for d in self.definitions]
        if name in self.variables:
            self.variables = {fresh if k == name else k: v for k, v in self.variables.items()}
        if name in self.functions:
            decl = self.functions[name]
            self.functions = {
                (fresh if k == name else k): (
                    FunctionDecl(fresh, decl.arg_sorts, decl.sort) if k == name else v
                )
                for k, v in self.functions.items()
            }

    def add(self, names: tuple[str, ...], type_text: str | None, later: list[Surface | None]) -> None:
        if type_text is None:  # `(n)`: typed by its uses
            for name in names:
                sort = _untyped_sort(name, later, self.scope())
                self.shadow(name)
                if sort is not None:
                    self.variables[name] = sort
            return
        sort = parse_sort(type_text)
        signature = parse_function_type(type_text) if sort is None else None
        if sort is not None or signature is not None:
            for name in names:
                self.shadow(name)
                if sort is not None:
                    self.variables[name] = sort
                elif signature is not None:
                    self.functions[name] = FunctionDecl(name, signature[0], signature[1])
            return
        subtype = SUBTYPES.get("".join(type_text.split()))
        if subtype is not None:
            carrier, low, forbidden = subtype
            for name in names:
                self.shadow(name)
                self.variables[name] = carrier
                self.subtypes[name] = forbidden
                bound = Cmp(CmpOp.ge, Var(name, carrier), Num(Fraction(low), carrier))
                self.hypotheses.append(Hypothesis(f"{name} ≥ {low}", bound))
            return
        modulus = zmod_type(type_text)
        if modulus is not None:
            for name in names:
                self.shadow(name)
                self.variables[name] = Sort.int  # a representative: 0 ≤ x < m (ZMod.val_lt), equal mod m
                self.zmod[name] = modulus
                nonneg = Cmp(CmpOp.le, Num(Fraction(0), Sort.int), Var(name, Sort.int))
                high = Cmp(CmpOp.lt, Var(name, Sort.int), Num(Fraction(modulus), Sort.int))
                self.hypotheses.append(
                    Hypothesis(f"{name} ∈ ZMod {modulus}", Logic(Connective.and_, nonneg, high))
                )
            return
        equiv = _equiv_sorts(type_text)
        if equiv is not None:
            for name in names:
                self.shadow(name)
                self.equiv(name, *equiv)
            return
        head = type_text.split()[0] if type_text.split() else ""
        if head in OPAQUE_TYPE_HEADS:
            for name in names:
                self.shadow(name)
                finset = FINSET_SORTS.get(" ".join(type_text.split()))
                if finset is not None:
                    self.pending_sets[name] = finset
            return  # a value we cannot model; anything mentioning it fails to elaborate and is dropped
        for name in names:
            self.shadow(name)
            self.hypothesis(name, type_text)

    def equiv(self, name: str, source: Sort, target: Sort) -> None:
        """``σ : α ≃ β``: functions ``σ`` (toFun) and ``σ.symm`` (invFun), inverse to each other."""
        forward, backward = f"{name}", f"{name}.symm"
        self.functions[forward] = FunctionDecl(forward, (source,), target)
        self.functions[backward] = FunctionDecl(backward, (target,), source)
        for fn, inverse, sort, other in (
            (forward, backward, source, target),
            (backward, forward, target, source),
        ):
            x = Var("x✝", sort)
            inner = Opaque(fn, (x,), (sort,), other)
            law = Quant(True, x.name, sort, Cmp(CmpOp.eq, Opaque(inverse, (inner,), (other,), sort), x))
            # Equiv.left_inv / Equiv.right_inv: σ.symm (σ x) = x, σ (σ.symm y) = y
            self.hypotheses.append(Hypothesis(f"{name}.{'left' if fn == forward else 'right'}_inv", law))

    def check_subtypes(self, surface: Surface) -> None:
        """Refuse a formula that subtracts (divides, on ℕ+) where an NNReal or ℕ+ variable occurs."""
        mentioned = _free_surface_names(surface) & set(self.subtypes)
        forbidden = set().union(*(self.subtypes[name] for name in mentioned)) if mentioned else set()
        if forbidden & _operators(surface):
            raise OutsideFragment("arithmetic whose NNReal / ℕ+ semantics (truncation) we do not model")

    def hypothesis(self, name: str, type_text: str) -> None:
        try:
            surface = parse_expression(type_text)
            self.check_subtypes(surface)
            pinned = _pinned_set(surface, self.pending_sets, self.scope())
            if pinned is not None:
                set_name, domain = pinned
                self.sets[set_name] = domain  # the hypothesis holds by construction: S is that finite set
                self.pinned.append((set_name, name))
                del self.pending_sets[set_name]
                return
            formula = elab_prop(surface, self.scope())
        except OutsideFragment:
            self.dropped.append(name)
            return
        self.hypotheses.append(Hypothesis(name, formula))
        definition = _definition(name, formula, self.functions, self.definitions)
        if definition is not None:
            self.definitions.append(definition)


def _equiv_sorts(type_text: str) -> tuple[Sort, Sort] | None:
    """``Equiv A B`` / ``A ≃ B`` between number types."""
    words = type_text.split()
    pair = (
        words[1:]
        if len(words) == 3 and words[0] == "Equiv"
        else words[::2]
        if len(words) == 3 and words[1] == "≃"
        else []
    )
    sorts = [parse_sort(word) for word in pair]
    if len(sorts) != 2 or any(sort is None or sort is Sort.complex for sort in sorts):
        return None
    source, target = sorts
    assert source is not None and target is not None
    return source, target


def _operators(surface: Surface) -> set[str]:
    match surface:
        case SBin(op=op, left=left, right=right):
            return {op} | _operators(left) | _operators(right)
        case SUn(op=op, arg=arg):
            return {op} | _operators(arg)
        case SApp(args=args):
            return set().union(*(_operators(arg) for arg in args))
        case SChain(items=items):
            return set().union(*(_operators(item) for item in items))
        case SAscribe(expr=expr):
            return _operators(expr)
        case SBinder(bound=bound, body=body):
            return _operators(body) | (set() if bound is None else _operators(bound[1]))
        case _:
            return set()


def _rename_definition(definition: Definition, old: str, new: str) -> Definition:
    if old in {p.name for p in definition.params}:
        return replace(definition, name=new if definition.name == old else definition.name)
    guard = None if definition.guard is None else rename_formula(definition.guard, old, new)
    body = rename(definition.body, old, new)
    assert not isinstance(body, Const | Cmp | Dvd | Pred | Not | Logic | Quant)
    return replace(
        definition, name=new if definition.name == old else definition.name, body=body, guard=guard
    )


def _definition(
    name: str, formula: Formula, functions: dict[str, FunctionDecl], known: list[Definition]
) -> Definition | None:
    """``∀ x y, f x y = body`` (or ``∀ x, guard → f x = body``) for a function ``f`` not defined yet, where
    ``body`` and ``guard`` use no function but those defined before (no recursion, no cycle)."""
    params: list[Var] = []
    while isinstance(formula, Quant) and formula.forall and formula.domain is None:
        params.append(Var(formula.var, formula.sort))
        formula = formula.body
    guard: Formula | None = None
    if isinstance(formula, Logic) and formula.op is Connective.implies:
        guard, formula = formula.left, formula.right
    if (
        not isinstance(formula, Cmp)
        or formula.op is not CmpOp.eq
        or len({p.name for p in params}) != len(params)
    ):
        return None
    defined = {d.name for d in known}
    for call, body in ((formula.left, formula.right), (formula.right, formula.left)):
        if not isinstance(call, Opaque) or call.name not in functions or call.name in defined:
            continue
        if call.args != tuple(params) or call.sort is not functions[call.name].sort:
            continue
        used = function_names(body) | (set() if guard is None else function_names(guard))
        if used <= defined | {"Real.pi", "Real.rpow"}:
            return Definition(call.name, tuple(params), body, name, guard)
    return None


def _pinned_set(surface: Surface, pending: dict[str, Sort], scope: Scope) -> tuple[str, Range] | None:
    """A hypothesis that pins a declared ``S : Finset ℕ`` to a bounded set: ``∀ n, n ∈ S ↔ p n`` where ``p``
    bounds ``n``, or ``S = <finite range>``. Finset.ext: a finset is determined by its members."""
    match surface:
        case SBin(op="=", left=SName(name=set_name), right=value) if set_name in pending:
            domain = finite_range(value, None, scope)
            return (set_name, domain) if domain.sort is pending[set_name] else None
        case SBinder(
            kind="∀", names=((var, type_text),), bound=None, body=SBin(op="↔", left=left, right=right)
        ):
            for member, condition in ((left, right), (right, left)):
                match member:
                    case SBin(op="∈", left=SName(name=element), right=SName(name=set_name)) if (
                        element == var and set_name in pending
                    ):
                        sort = pending[set_name]
                        if type_text is not None and parse_sort(type_text) is not sort:
                            return None
                        where = elab_prop(condition, scope.with_bound(var, sort))
                        bounds = bounds_of(var, sort, where)
                        if bounds is None:
                            return None
                        return set_name, Range(var, sort, bounds[0], bounds[1], where, var)
            return None
        case _:
            return None


def _variables(name: str, sort: Sort) -> tuple[Var, ...]:
    if sort is Sort.complex:  # a ℂ value is its real and imaginary parts (see elab_complex)
        return Var(f"{name}.re", Sort.real), Var(f"{name}.im", Sort.real)
    return (Var(name, sort),)


def build_query(
    entries: Sequence[tuple[tuple[str, ...], str | None]], target: str, *, goal_mode: bool
) -> Query:
    """Elaborate binders/hypotheses (in order, so each sees the names before it) and the target.

    A binder type ``None`` is a binder written without one; names the statement uses but never binds are
    Lean's auto-bound implicits (statements only: a goal lists everything). Both get their type from their
    uses (``_untyped_sort``).
    """
    surfaces = [_parsed(type_text) for _, type_text in entries] + [_parsed(target)]
    builder = _Builder(goal_mode)
    if not goal_mode:
        declared = {name for names, _ in entries for name in names}
        free = set().union(*(_free_surface_names(s) for s in surfaces if s is not None))
        preliminary = Scope({}, {}, goal_mode=False)
        for name in sorted(free - declared):
            if AUTO_BOUND.fullmatch(name) and resolve(name, preliminary) == name:
                builder.add((name,), None, surfaces)
    for index, (names, type_text) in enumerate(entries):
        builder.add(names, type_text, surfaces[index + 1 :] if type_text is None else [])
    try:
        target_surface = parse_expression(target)
        builder.check_subtypes(target_surface)
        goal = elab_prop(target_surface, builder.scope())
        problem = ""
    except OutsideFragment as error:
        goal, problem = None, str(error)
    return Query(
        variables=tuple(var for name, sort in builder.variables.items() for var in _variables(name, sort)),
        functions=tuple(builder.functions.values()),
        hypotheses=tuple(builder.hypotheses),
        goal=goal,
        dropped=tuple(builder.dropped),
        goal_problem=problem,
        definitions=tuple(builder.definitions),
        pinned_sets=tuple(builder.pinned),
    )


def query_from_goal(goal_text: str) -> Query:
    entries, target = split_goal(goal_text)
    return build_query(entries, target, goal_mode=True)


def query_from_declaration(declaration: Declaration) -> Query:
    # An instance binder (``[Fact p.Prime]``) can constrain the variables: keep it as a hypothesis, which
    # drops it (and so forbids a refutation) unless it elaborates.
    entries = [
        (b.names or (f"inst{i}✝",), b.type_text if b.typed else None)
        for i, b in enumerate(declaration.binders)
    ]
    return build_query(entries, declaration.type_text, goal_mode=False)


def query_from_statement(statement: str) -> Query:
    declarations = split_declarations(statement)
    if not declarations:
        raise OutsideFragment("no theorem, lemma or example in the text")
    return query_from_declaration(declarations[0])
