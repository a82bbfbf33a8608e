"""Lean arithmetic text → surface syntax, with Lean 4 / Mathlib precedences.

A Pratt parser over the notation competition statements use. Anything it does not know raises
``SmtSyntaxError`` (the engine reports ``unsupported``): it never guesses.

Precedences follow Lean core and Mathlib: ``↔`` 20, ``→`` 25 (right), ``∨`` 30 (right), ``∧`` 35 (right),
``¬`` 40, relations 50, ``+ -`` 65, ``* / %`` 70, prefix ``-`` 75, ``^`` 75 (right), ``√`` 100,
application 1024, ``↑``/``⁻¹``/``!`` above it. ``∑ x ∈ s, f`` takes its body at 67 (Mathlib's BigOperators:
``∑ x, f x * g x`` sums the product, ``∑ x, f x + g x`` adds ``g x`` after summing). ``a ≡ b [MOD n]`` is
``Nat.ModEq n a b``; ``{x : T | p}`` a set-builder binder (kind ``set``), ``{a, b}`` a literal (fn ``{}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from prover.smt.core import OutsideFragment
from prover.smt.syntax import SApp, SAscribe, SBin, SBinder, SChain, SName, SNum, SUn, Surface


class SmtSyntaxError(OutsideFragment):
    """The text is outside the supported fragment (or not Lean); the message says what was met."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "ident", "sym", "field", "end"
    text: str
    pos: int


SYMBOLS = sorted(
    [
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "|",
        "⌊",
        "⌋₊",
        "⌋",
        "⌈",
        "⌉₊",
        "⌉",
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "=",
        "≠",
        "<",
        ">",
        "≤",
        "≥",
        "<=",
        ">=",
        "!=",
        "∣",
        "≡",
        "∧",
        "∨",
        "¬",
        "→",
        "↔",
        "->",
        "<->",
        "∀",
        "∃!",
        "∃",
        "∑",
        "∏",
        "↑",
        "√",
        "⁻¹",
        "!",
        "∈",
        "∉",
        "=>",
        "↦",
        "λ",
        "·",
        "•",
        "∘",
        "⁅",
        "∪",
        "∩",
        "\\",
        "×",
        "ᶜ",
        "⦃",
        "⦄",
        "⟨",
        "⟩",
        ":=",
        "'",
        "#",
        "@",
        "$",
        "<|",
        "|>",
        ";",
    ],
    key=len,
    reverse=True,
)
ASCII_ALIASES = {"<=": "≤", ">=": "≥", "!=": "≠", "->": "→", "<->": "↔", "↦": "=>"}
SUBSCRIPTS = set("₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢᵣᵤᵥⱼ")
SUPERSCRIPT_DIGITS = set("⁰¹²³⁴⁵⁶⁷⁸⁹")
RELATIONS = {"=", "≠", "<", ">", "≤", "≥", "∣", "∈", "∉"}
KEYWORDS = {"fun", "λ", "if", "then", "else", "let", "have", "show", "by", "at", "in"}


def _ident_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_" or ch in "ℕℤℚℝℂπ"


def _ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'✝?" or ch in SUBSCRIPTS or ch in "ℕℤℚℝℂ"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/-", i):
            end = text.find("-/", i + 2)
            if end < 0:
                raise SmtSyntaxError("unterminated comment")
            i = end + 2
            continue
        if ch.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            if j + 1 < n and text[j] == "." and text[j + 1].isdigit():
                j += 1
                while j < n and text[j].isdigit():
                    j += 1
            tokens.append(Token("num", text[i:j], i))
            i = j
            continue
        if ch == "." and tokens and i + 1 < n and _ident_start(text[i + 1]) and not text[i - 1].isspace():
            j = i + 1
            while j < n and _ident_char(text[j]):
                j += 1
            tokens.append(Token("field", text[i + 1 : j], i))
            i = j
            continue
        if ch == "." and tokens and i + 1 < n and text[i + 1].isdigit() and not text[i - 1].isspace():
            j = i + 1
            while j < n and text[j].isdigit():
                j += 1
            tokens.append(Token("field", text[i + 1 : j], i))
            i = j
            continue
        if _ident_start(ch):
            j = i
            while j < n:
                if _ident_char(text[j]) or (
                    text[j] in SUPERSCRIPT_DIGITS and text[j - 1] in "✝" + "".join(SUPERSCRIPT_DIGITS)
                ):
                    j += 1
                elif text[j] == "." and j + 1 < n and _ident_start(text[j + 1]) and text[i].isupper():
                    j += 1  # namespaced constant (Real.sqrt, Finset.range); lower-case ``x.f`` is a field
                else:
                    break
            tokens.append(Token("ident", text[i:j], i))
            i = j
            continue
        for symbol in SYMBOLS:
            if text.startswith(symbol, i):
                tokens.append(Token("sym", ASCII_ALIASES.get(symbol, symbol), i))
                i += len(symbol)
                break
        else:
            raise SmtSyntaxError(f"unexpected character {ch!r}")
    tokens.append(Token("end", "", n))
    return tokens


# binary operators: symbol -> (left binding power, right binding power)
INFIX: dict[str, tuple[int, int]] = {
    "↔": (20, 21),
    "→": (25, 25),
    "∨": (30, 30),
    "∧": (35, 35),
    "+": (65, 66),
    "-": (65, 66),
    "*": (70, 71),
    "/": (70, 71),
    "%": (70, 71),
    "^": (75, 75),
}
RELATION_POWER = 50
BIG_OPERATOR_BODY_POWER = 67
APPLICATION_POWER = 1024


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    # ------------------------------------------------------------------ token helpers
    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek
        return token.kind in ("sym", "ident") and token.text == text

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise SmtSyntaxError(f"expected {text!r}, met {self.peek.text or 'end of text'!r}")
        self.advance()

    # ------------------------------------------------------------------ expressions
    def parse_all(self) -> Surface:
        expr = self.expression(0)
        if self.peek.kind != "end":
            raise SmtSyntaxError(f"unexpected {self.peek.text!r}")
        return expr

    def expression(self, min_power: int) -> Surface:
        left = self.prefix()
        while True:
            token = self.peek
            if token.kind != "sym":
                break
            op = token.text
            if op == "≡":
                if min_power > RELATION_POWER:
                    break
                left = self.congruence(left)
                continue
            if op in RELATIONS:
                if min_power > RELATION_POWER:
                    break
                left = self.relation_chain(left)
                continue
            if op not in INFIX:
                break
            left_power, right_power = INFIX[op]
            if left_power < min_power:
                break
            self.advance()
            right = self.expression(right_power)
            left = SBin(op, left, right)
        return left

    def congruence(self, left: Surface) -> Surface:
        """``a ≡ b [MOD n]`` / ``[ZMOD n]`` (notation 50 for ``Nat.ModEq n a b`` / ``Int.ModEq n a b``)."""
        self.expect("≡")
        right = self.expression(RELATION_POWER + 1)
        self.expect("[")
        kind = self.advance().text
        if kind not in ("MOD", "ZMOD"):
            raise SmtSyntaxError(f"congruence modulo {kind!r}")
        modulus = self.expression(0)
        self.expect("]")
        return SApp("Nat.ModEq" if kind == "MOD" else "Int.ModEq", (modulus, left, right))

    def relation_chain(self, first: Surface) -> Surface:
        ops: list[str] = []
        items = [first]
        while self.peek.kind == "sym" and self.peek.text in RELATIONS:
            ops.append(self.advance().text)
            items.append(self.expression(RELATION_POWER + 1))
        if len(ops) == 1:
            return SBin(ops[0], items[0], items[1])
        return SChain(tuple(ops), tuple(items))

    def prefix(self) -> Surface:
        token = self.peek
        if token.kind == "sym":
            match token.text:
                case "-":
                    self.advance()
                    return SUn("-", self.expression(75))
                case "¬":
                    self.advance()
                    return SUn("¬", self.expression(40))
                case "√":
                    self.advance()
                    return SUn("√", self.expression(100))
                case "∀" | "∃" | "∑" | "∏" | "λ":
                    return self.binder()
                case "∃!":
                    raise SmtSyntaxError("unique existence ∃! is not supported")
        if token.kind == "ident" and token.text == "fun":
            return self.binder()
        return self.application()

    def application(self) -> Surface:
        head = self.postfixed(self.atom())
        if isinstance(head, SName) and head.name not in KEYWORDS:
            args: list[Surface] = []
            while self.starts_argument():
                args.append(self.postfixed(self.atom()))
            if args:
                return SApp(head.name, tuple(args))
        return head

    def starts_argument(self) -> bool:
        token = self.peek
        if token.kind == "num":
            return True
        if token.kind == "ident":
            return token.text not in KEYWORDS
        return token.kind == "sym" and token.text in ("(", "↑", "⌊", "⌈", "{")

    def postfixed(self, expr: Surface) -> Surface:
        while True:
            token = self.peek
            if token.kind == "sym" and token.text == "⁻¹":
                self.advance()
                expr = SUn("⁻¹", expr)
            elif token.kind == "sym" and token.text == "!":
                self.advance()
                expr = SUn("!", expr)
            elif token.kind == "field":
                self.advance()
                args: list[Surface] = []
                while self.starts_argument():
                    args.append(self.postfixed(self.atom()))
                expr = SApp("." + token.text, (expr, *args))
            else:
                return expr

    def atom(self) -> Surface:
        token = self.advance()
        match token.kind:
            case "num":
                if "." in token.text:
                    return SNum(Fraction(token.text), decimal=True)
                return SNum(Fraction(int(token.text)))
            case "ident":
                if token.text in KEYWORDS:
                    raise SmtSyntaxError(f"{token.text!r} expressions are not supported")
                return SName(token.text)
            case "sym":
                return self.bracketed(token)
            case _:
                raise SmtSyntaxError("unexpected end of text")

    def bracketed(self, token: Token) -> Surface:
        match token.text:
            case "(":
                inner = self.expression(0)
                if self.at(":"):
                    self.advance()
                    type_text = self.type_text((")",))
                    self.expect(")")
                    return SAscribe(inner, type_text)
                if self.at(","):
                    raise SmtSyntaxError("tuples are not supported")
                self.expect(")")
                return inner
            case "|":
                inner = self.expression(0)
                self.expect("|")
                return SApp("abs", (inner,))
            case "⌊" | "⌈":
                inner = self.expression(0)
                closer = self.advance().text
                names = {"⌋": "Int.floor", "⌋₊": "Nat.floor", "⌉": "Int.ceil", "⌉₊": "Nat.ceil"}
                if closer not in names or (closer[0] == "⌋") != (token.text == "⌊"):
                    raise SmtSyntaxError(f"unbalanced {token.text}")
                return SApp(names[closer], (inner,))
            case "↑":
                return SUn("↑", self.postfixed(self.atom()))
            case "{":
                return self.braces()
            case _:
                raise SmtSyntaxError(f"unexpected {token.text!r}")

    def braces(self) -> Surface:
        """``{x : T | p}`` / ``{x | p}`` (``setOf``, a binder of kind ``set``) or ``{a, b, c}`` (a literal)."""
        ahead = [t.text for t in self.tokens[self.index : self.index + 2]]
        if self.peek.kind == "ident" and len(ahead) == 2 and ahead[1] in (":", "|"):
            name = self.advance().text
            type_text: str | None = None
            if self.at(":"):
                self.advance()
                type_text = self.type_text(("|",))
            self.expect("|")
            body = self.expression(0)
            self.expect("}")
            return SBinder("set", ((name, type_text),), None, body)
        elements = [self.expression(0)]
        while self.at(","):
            self.advance()
            elements.append(self.expression(0))
        self.expect("}")
        return SApp("{}", tuple(elements))

    def type_text(self, closers: tuple[str, ...]) -> str:
        """Raw tokens of a type up to a closer at depth 0 (types are interpreted by the elaborator)."""
        parts: list[str] = []
        depth = 0
        while True:
            token = self.peek
            if token.kind == "end":
                raise SmtSyntaxError("unterminated type")
            if depth == 0 and token.kind == "sym" and token.text in closers:
                return " ".join(parts)
            if token.kind == "sym" and token.text in ("(", "[", "{"):
                depth += 1
            elif token.kind == "sym" and token.text in (")", "]", "}"):
                depth -= 1
            parts.append(token.text)
            self.advance()

    def binder(self) -> Surface:
        kind = self.advance().text
        if kind == "λ":
            kind = "fun"
        names: list[tuple[str, str | None]] = []
        bound: tuple[str, Surface] | None = None
        while True:
            token = self.peek
            if token.kind == "ident" and token.text not in KEYWORDS:
                names.append((self.advance().text, None))
            elif token.kind == "sym" and token.text in ("(", "⦃", "{"):
                closer = {"(": ")", "⦃": "⦄", "{": "}"}[token.text]
                self.advance()
                group: list[str] = []
                while self.peek.kind == "ident":
                    group.append(self.advance().text)
                if not group:
                    raise SmtSyntaxError("empty binder group")
                type_text: str | None = None
                if self.at(":"):
                    self.advance()
                    type_text = self.type_text((closer,))
                self.expect(closer)
                names.extend((name, type_text) for name in group)
            else:
                break
        if not names:
            raise SmtSyntaxError(f"{kind} without a bound variable")
        if self.at(":"):
            self.advance()
            type_text = self.type_text((",", "∈", "in", "=>"))
            names = [(name, type_text) for name, _ in names]
        if self.peek.kind == "sym" and self.peek.text in RELATIONS:
            op = self.advance().text
            bound = (op, self.expression(RELATION_POWER + 1))
        elif self.at("in"):
            self.advance()
            bound = ("∈", self.expression(RELATION_POWER + 1))
        if kind == "fun":
            self.expect("=>")
        else:
            self.expect(",")
        body_power = BIG_OPERATOR_BODY_POWER if kind in ("∑", "∏") else 0
        body = self.expression(body_power)
        return SBinder(kind, tuple(names), bound, body)


def parse_expression(text: str) -> Surface:
    """Parse one Lean term or proposition; raises ``SmtSyntaxError`` outside the supported fragment."""
    return Parser(text).parse_all()
