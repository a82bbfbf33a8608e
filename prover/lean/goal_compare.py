"""Is a Lean-printed goal the statement it came from, modulo how Lean's delaborator prints terms?

Both sides are parsed into one canonical term (an operator-precedence parse of the token stream) and the
terms are compared, so parentheses that precedence makes redundant disappear and every other difference
counts. The canonical form undoes what the pretty-printer changes:

* names shortened by ``open`` (``logb`` / ``Real.logb``) and generalised field notation (``x.f a`` /
  ``T.f x a``): a constant in an open namespace or a known type namespace (``Nat``, ``Int``, ``Real``,
  ``Finset``, ...) loses its namespace, and ``x.f a`` becomes ``f x a`` when ``x`` is a local or bound name;
* notation: ``|x|`` = ``abs x``, ``⌊x⌋`` = ``Int.floor x``, ``⌈x⌉`` = ``Int.ceil x``, ``⌊x⌋₊`` =
  ``Nat.floor x``, ``√x`` = ``Real.sqrt x``, ``π`` = ``Real.pi``, ``x⁻¹``, ``A ≃ B`` = ``Equiv A B``,
  ``n !`` = ``Nat.factorial n``, ``∑ x in s, f`` = ``∑ x ∈ s, f`` = ``Finset.sum s (fun x => f)``;
* casts: ``↑x`` and ascriptions ``(x : T)`` are dropped (no types here to tell an elided cast from none);
* ``a ≠ b`` = ``¬a = b``, ``a ∉ s`` = ``¬a ∈ s``; binder predicates ``∀ x ∈ s, p`` = ``∀ x, x ∈ s → p``,
  ``∃ x > n, p`` = ``∃ x, x > n ∧ p``; ``∀ (h : p), q`` with ``h`` unused = ``p → q``;
* binders: bound names are compared up to renaming (``(· ≠ ·)`` = ``fun x x_1 => x ≠ x_1``), a binder type
  the source omits matches the printed one, ``fun x => e`` = ``λ x, e`` = ``fun x ↦ e``.

What this cannot see without types: ``Nat.gcd`` and ``Int.gcd`` both print ``x.gcd`` and compare equal, and a
changed cast target is not noticed. Operators, operands, their order, and binder types both sides give are
compared exactly.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from prover.lean.lexer import code_tokens
from prover.types import Frozen

# Namespaces whose functions the delaborator prints in field notation (`x.f a` for `T.f x a`).
TYPE_NAMESPACES = frozenset(
    {
        "Nat",
        "Int",
        "Real",
        "Rat",
        "Complex",
        "NNReal",
        "PNat",
        "Fin",
        "ZMod",
        "Finset",
        "Multiset",
        "List",
        "Set",
        "Polynomial",
        "Function",
        "Equiv",
    }
)
# Numbered projections of structures whose printed goal names the field (`σ.1` prints `σ.toFun`).
_PROJECTIONS = {"Equiv": ("toFun", "invFun", "left_inv", "right_inv")}

# infix operator → (precedence, right associative)
_INFIX: dict[str, tuple[int, bool]] = {
    "∘": (90, True),
    "⁻¹'": (80, False),
    "×ˢ": (82, True),
    "^": (75, True),
    "•": (73, True),
    "*": (70, False),
    "/": (70, False),
    "%": (70, False),
    "∩": (70, False),
    "\\": (70, False),
    "+": (65, False),
    "-": (65, False),
    "∪": (65, False),
    "=": (50, False),
    "≠": (50, False),
    "<": (50, False),
    ">": (50, False),
    "≤": (50, False),
    "≥": (50, False),
    "∈": (50, False),
    "∉": (50, False),
    "∣": (50, False),
    "⊆": (50, False),
    "⊂": (50, False),
    "≡": (50, False),
    "∧": (35, True),
    "×": (35, True),
    "∨": (30, True),
    "→": (25, True),
    "≃": (25, False),
    "↔": (20, False),
    "<|": (10, True),
    "$": (10, True),
}
_BINDER_PREDICATES = frozenset({"<", ">", "≤", "≥", "∈", "∉", "≠", "⊆", "⊂"})
_CLOSERS = frozenset({")", "]", "}", "⟩", "⌋", "⌋₊", "⌉", "⌉₊", ",", ":", "=>", "↦", "then", "else", ":="})
_BINDERS = frozenset({"∀", "∃", "∃!", "fun", "λ"})
_NOTATION = {"π": "pi", "√": "sqrt", "|": "abs", "⌊": "floor", "⌈": "ceil", "!": "factorial"}

Term = tuple[object, ...]
WILD: Term = ("?",)  # a binder type the source leaves out


class ParseFailure(Exception):
    """The text is not a term this reader knows (internal; callers get a ``Comparison``)."""


class Comparison(Frozen):
    same: bool
    reason: str  # "token-equal", "equal modulo printing", "differs: …", "unparsable: …"


def _merge(texts: list[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        prev = out[-1] if out else ""
        if (prev, text) in {("⌋", "₊"), ("⌉", "₊"), ("∃", "!"), ("⁻¹", "'")}:
            out[-1] = prev + text
        else:
            out.append(text)
    return out


class _Parser:
    def __init__(
        self, text: str, opens: Collection[str], locals_: dict[str, str], renamed: dict[str, str]
    ) -> None:
        self.renamed = renamed
        self.tokens = _merge([t.text for t in code_tokens(text)])
        self.pos = 0
        self.opens = frozenset(opens)
        self.locals = locals_
        self.scope: list[str] = []
        self.uids: list[int] = []
        self.next_uid = 0
        self.abs_depth = 0
        self.placeholders: list[int] = []

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            raise ParseFailure(f"expected {expected or 'a token'} at {token or 'the end'!r}")
        self.pos += 1
        return token

    def bind(self, name: str) -> int:
        self.scope.append(name)
        self.uids.append(self.next_uid)
        self.next_uid += 1
        return self.uids[-1]

    def unbind(self) -> int:
        self.scope.pop()
        return self.uids.pop()

    # ---------------------------------------------------------------- names
    def _const(self, name: str) -> Term:
        parts = name.split(".")
        while len(parts) > 1 and (parts[0] in TYPE_NAMESPACES or parts[0] in self.opens):
            parts = parts[1:]
        return ("c", ".".join(parts))

    def _name(self, name: str) -> Term:
        parts = name.split(".")
        head = parts[0]
        head = self.renamed.get(head, head)
        if head in self.scope:
            term: Term = ("bv", self.uids[len(self.scope) - 1 - self.scope[::-1].index(head)])
        elif head in self.locals or (len(parts) > 1 and head[:1].islower()):
            term = ("c", head)
        else:
            return self._const(name)
        for field in parts[1:]:
            term = self._field(term, field, head)
        return term

    def _field(self, receiver: Term, field: str, head: str | None) -> Term:
        if field.isdigit() and head is not None:
            type_head = self.locals.get(head, "").split()[:1]
            names = _PROJECTIONS.get("Equiv" if "≃" in self.locals.get(head, "") else "".join(type_head))
            if names and 0 < int(field) <= len(names):
                field = names[int(field) - 1]
        return ("app", self._const(field), receiver)

    # ---------------------------------------------------------------- terms
    def parse(self, min_prec: int = 0) -> Term:
        left = self.prefix()
        while True:
            token = self.peek()
            if token == "|" and self.abs_depth > 0:
                return left
            if token in _INFIX:
                prec, right = _INFIX[token]
                if token == "+" and self.peek(1) in _CLOSERS | {""}:  # ℕ+
                    self.take()
                    left = ("c", "PNat")
                    continue
                if prec < min_prec:
                    return left
                self.take()
                rhs = self.parse(prec if right else prec + 1)
                left = self._infix(token, left, rhs)
                continue
            if self._starts_argument(token) and min_prec <= 1024:
                left = ("app", left, self.argument())
                continue
            return left

    def _infix(self, op: str, left: Term, right: Term) -> Term:
        if op in ("≠", "∉"):
            return ("¬", ("op", "=" if op == "≠" else "∈", left, right))
        if op in ("<|", "$"):
            return ("app", left, right)
        if op == "≃":
            return ("app", ("app", ("c", "Equiv"), left), right)
        if op == "≡" and self.peek() == "[":
            self.take()
            kind = self.take()
            modulus = self.parse()
            self.take("]")
            return ("op", f"≡{kind}", ("op", "≡", left, right), modulus)
        return ("op", op, left, right)

    def _starts_argument(self, token: str) -> bool:
        if not token or token in _CLOSERS or token in _INFIX or token in ("then", "else", "in", "with"):
            return False
        return token not in ("¬", "∀", "∃", "∃!", "fun", "λ", "∑", "∏", "if") or token == "("

    def argument(self) -> Term:
        return self.postfix(self.primary())

    def postfix(self, term: Term) -> Term:
        while True:
            token = self.peek()
            if token == "⁻¹":
                self.take()
                term = ("app", ("c", "inv"), term)
            elif token == "!":
                self.take()
                term = ("app", ("c", "factorial"), term)
            elif token == "." and self.peek(1):
                self.take()
                head = str(term[1]) if term[0] == "c" else None
                for field in self.take().split("."):
                    term = self._field(term, field, head)
            else:
                return term

    def prefix(self) -> Term:
        token = self.peek()
        if token == "¬":
            self.take()
            return ("¬", self.parse(40))
        if token == "-":
            self.take()
            return ("neg", self.parse(75))
        if token in _BINDERS:
            return self.binder_term()
        if token in ("∑", "∏"):
            return self.big_operator()
        if token == "if":
            self.take()
            condition = self.parse()
            self.take("then")
            then = self.parse()
            self.take("else")
            return ("if", condition, then, self.parse())
        return self.argument()

    def primary(self) -> Term:
        token = self.take()
        if token == "↑" or token == "@":
            return self.argument()
        if token == "√":
            return ("app", ("c", "sqrt"), self.argument())
        if token == "π":
            return ("c", "pi")
        if token == "·" and self.placeholders:
            level = self.placeholders.pop(0)
            return ("bv", level)
        if token == "(":
            return self.parenthesised()
        if token in ("[", "⟨"):
            items = self.items("]" if token == "[" else "⟩")
            return ("list" if token == "[" else "anon", *items)
        if token == "{":
            return self.braces()
        if token == "|":
            self.abs_depth += 1
            inner = self.parse()
            self.abs_depth -= 1
            self.take("|")
            return ("app", ("c", "abs"), inner)
        if token in ("⌊", "⌈"):
            inner = self.parse()
            close = self.take()
            if close not in ("⌋", "⌋₊", "⌉", "⌉₊"):
                raise ParseFailure(f"unclosed {token}")
            name = ("Nat." if close.endswith("₊") else "Int.") + ("floor" if token == "⌊" else "ceil")
            return ("app", self._const(name), inner)
        if token[:1].isdigit():
            return ("num", token)
        if token in _CLOSERS or token in _INFIX or token in ("|", "in"):
            raise ParseFailure(f"unexpected {token!r}")
        if token[:1].isalpha() or token[:1] in "_«":
            return self._name(token)
        return ("c", token)

    def items(self, close: str) -> list[Term]:
        items: list[Term] = []
        while self.peek() != close:
            items.append(self.parse())
            if self.peek() == ",":
                self.take()
        self.take(close)
        return items

    def parenthesised(self) -> Term:
        if self.peek() == ")":
            self.take()
            return ("unit",)
        dots = self._placeholder_count()
        saved = self.placeholders
        self.placeholders = [self.bind(f"·{k}") for k in range(dots)]
        saved_abs, self.abs_depth = self.abs_depth, 0
        inner = self.parse()
        self.abs_depth = saved_abs
        if self.peek() == ":":  # ascription: the printer shows it as a cast or not at all
            self.take()
            self.parse()
        elif self.peek() == ",":
            self.take()
            inner = ("tuple", inner, *self.items(")"))
            self.pos -= 1
        self.take(")")
        self.placeholders = saved
        for _ in range(dots):
            inner = ("fun", WILD, inner, self.unbind())
        return inner

    def _placeholder_count(self) -> int:
        depth = count = 0
        for token in self.tokens[self.pos :]:
            if token in ("(", "[", "{", "⟨"):
                depth += 1
            elif token in (")", "]", "}", "⟩"):
                if depth == 0:
                    break
                depth -= 1
            elif token == "·" and depth == 0:
                count += 1
        return count

    def braces(self) -> Term:
        is_builder = self.peek(1) == "|" or (self.peek(1) == ":" and "|" in self.tokens[self.pos :])
        if not is_builder:
            return ("set", *self.items("}"))
        name = self.take()
        binder_type = WILD
        if self.peek() == ":":
            self.take()
            self.abs_depth += 1  # the `|` after the type separates, it opens no `|x|`
            binder_type = self.parse()
            self.abs_depth -= 1
        self.take("|")
        self.bind(name)
        body = self.parse()
        self.take("}")
        return ("setOf", binder_type, body, self.unbind())

    # ---------------------------------------------------------------- binders
    def binder_group(self) -> list[tuple[str, Term, tuple[str, Term] | None]]:
        """Binders up to `,` / `=>` / `↦`: (name, type or WILD, binder predicate or None)."""
        binders: list[tuple[str, Term, tuple[str, Term] | None]] = []
        while self.peek() not in (",", "=>", "↦", ""):
            token = self.peek()
            if token in ("(", "{", "⦃", "["):
                self.take()
                close = {"(": ")", "{": "}", "⦃": "⦄", "[": "]"}[token]
                names: list[str] = []
                while self.peek() not in (":", close):
                    names.append(self.take())
                binder_type = WILD
                if self.peek() == ":":
                    self.take()
                    binder_type = self.parse()
                self.take(close)
                binders.extend((self._bound(n), binder_type, None) for n in names)
                continue
            names = []
            while self.peek() not in (":", ",", "=>", "↦", "") and self.peek() not in _BINDER_PREDICATES:
                if self.peek() in ("(", "{", "⦃", "["):
                    break
                names.append(self.take())
            if self.peek() == ":":
                self.take()
                binder_type = self.parse()
                binders.extend((self._bound(n), binder_type, None) for n in names)
            elif self.peek() in _BINDER_PREDICATES:
                op = self.take()
                bound = self.parse()
                binders.extend((self._bound(n), WILD, (op, bound)) for n in names)
            else:
                binders.extend((self._bound(n), WILD, None) for n in names)
        return binders

    def _bound(self, name: str) -> str:
        self.bind(name)
        return name

    def binder_term(self) -> Term:
        kind = {"λ": "fun"}.get(self.take(), self.tokens[self.pos - 1])
        binders = self.binder_group()
        self.take()  # `,` `=>` `↦`
        body = self.parse()
        for name, binder_type, predicate in reversed(binders):
            level = self.unbind()
            if predicate is not None:
                op, bound = predicate
                guard = self._infix(op, ("bv", level), bound)
                body = ("op", "→" if kind == "∀" else "∧", guard, body)
            if (kind == "∀" and binder_type != WILD and not _mentions(body, level)) or name == "_":
                body = ("op", "→", binder_type, body) if kind == "∀" else (kind, binder_type, body, level)
            else:
                body = (kind, binder_type, body, level)
        return body

    def big_operator(self) -> Term:
        operator = "sum" if self.take() == "∑" else "prod"
        binder_type = WILD
        if self.peek() == "(":
            self.take()
            name = self.take()
            self.take(":")
            binder_type = self.parse()
            self.take(")")
        else:
            name = self.take()
            if self.peek() == ":":
                self.take()
                binder_type = self.parse(51)
        domain: Term = ("c", "univ")
        if self.peek() in ("in", "∈"):
            self.take()
            domain = self.parse()
        self.take(",")
        self.bind(name)
        body = self.parse(67)
        return ("app", ("app", ("c", operator), domain), ("fun", binder_type, body, self.unbind()))


_BINDER_NODES = frozenset({"∀", "∃", "∃!", "fun", "setOf"})


def _renumber(term: object, levels: dict[object, int]) -> object:
    """Bound variables by binding depth, so that names and dropped binders do not matter."""
    if not isinstance(term, tuple):
        return term
    if term[:1] == ("bv",):
        return ("bv", levels.get(term[1], -1))
    if term[:1] and term[0] in _BINDER_NODES and len(term) == 4:
        kind, binder_type, body, uid = term
        inner = {**levels, uid: len(levels)}
        return (kind, _renumber(binder_type, levels), _renumber(body, inner))
    return tuple(_renumber(part, levels) for part in term)


def _mentions(term: object, level: int) -> bool:
    if isinstance(term, tuple):
        if term == ("bv", level):
            return True
        return any(_mentions(part, level) for part in term)
    return False


def canonical_term(
    text: str,
    *,
    opens: Collection[str] = (),
    locals_: dict[str, str] | None = None,
    renamed: dict[str, str] | None = None,
) -> Term:
    """The canonical term of ``text``; raises ``ValueError`` when it is not a term this reader knows."""
    parser = _Parser(text, opens, locals_ or {}, renamed or {})
    try:
        term = parser.parse()
        if parser.pos != len(parser.tokens):
            raise ParseFailure(f"unread text from {parser.peek()!r}")
    except (ParseFailure, IndexError) as error:
        raise ValueError(f"{error} in {text[:80]!r}") from error
    renumbered = _renumber(term, {})
    assert isinstance(renumbered, tuple)
    return renumbered


def _same(a: object, b: object) -> bool:
    if a == WILD or b == WILD:
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _first_difference(a: object, b: object) -> tuple[object, object]:
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and a[:1] == b[:1]:
        for x, y in zip(a, b, strict=True):
            if not _same(x, y):
                return _first_difference(x, y)
    return a, b


def opens_of(header: str) -> tuple[str, ...]:
    """The namespaces an ``open`` line of ``header`` opens."""
    names: list[str] = []
    for line in header.splitlines():
        words = line.split()
        if words[:1] == ["open"]:
            names.extend(w for w in words[1:] if w not in ("in", "scoped"))
    return tuple(names)


def same_modulo_printing(
    source_type: str,
    printed_type: str,
    *,
    opens: Sequence[str] = (),
    locals_: dict[str, str] | None = None,
    renamed: dict[str, str] | None = None,
) -> Comparison:
    """Does the type Lean printed say what the source type says?

    ``opens``: the file's open namespaces (``opens_of(header)``); ``locals_``: binder name → source type of the
    statement's binders; ``renamed``: printed name → source name for binders goal → lemma had to rename.
    """
    if not source_type.strip() and printed_type.strip():
        return Comparison(same=True, reason="equal modulo printing")  # the source leaves the type out
    words_a = [t.text for t in code_tokens(source_type)]
    words_b = [t.text for t in code_tokens(printed_type)]
    if words_a == words_b:
        return Comparison(same=True, reason="token-equal")
    try:
        a = canonical_term(source_type, opens=opens, locals_=locals_)
        b = canonical_term(printed_type, opens=opens, locals_=locals_, renamed=renamed)
    except ValueError as error:
        return Comparison(same=False, reason=f"unparsable: {error}")
    if _same(a, b):
        return Comparison(same=True, reason="equal modulo printing")
    x, y = _first_difference(a, b)
    return Comparison(same=False, reason=f"differs: {x} vs {y}")


class BinderNames(Frozen):
    same: bool
    reason: str  # "equal", "shadowed", "anonymous", "auto-bound", "differs"


def explain_binder_names(source: Sequence[str], lemma: Sequence[str]) -> BinderNames:
    """Compare binder names, explaining what goal → lemma renames by necessity.

    A statement may repeat a name (``(h₀ : a) (h₀ : b)``): Lean shadows the first one, prints it ``h₀✝`` and
    the lemma calls it ``h₀_1``; an anonymous ``_`` prints ``x✝`` (lemma ``x_1``); an auto-bound implicit
    variable the statement never binds becomes a leading binder of the lemma.
    """
    if list(source) == list(lemma):
        return BinderNames(same=True, reason="equal")
    extra = len(lemma) - len(source)
    if extra > 0 and list(lemma[extra:]) == list(source) and not set(lemma[:extra]) & set(source):
        return BinderNames(same=True, reason="auto-bound")
    if len(source) != len(lemma):
        return BinderNames(same=False, reason="differs")
    reasons = set()
    for i, (a, b) in enumerate(zip(source, lemma, strict=True)):
        if a == b:
            continue
        if a == "_" and b.startswith("x_"):
            reasons.add("anonymous")
        elif a in source[i + 1 :] and b.startswith(f"{a}_") and b[len(a) + 1 :].isdigit():
            reasons.add("shadowed")
        else:
            return BinderNames(same=False, reason="differs")
    return BinderNames(same=True, reason="+".join(sorted(reasons)))
