"""Lean- and unicode-aware tokens for BM25: names split on ``.``/``_``/camelCase, notation spelled as words.

Symbols become the words Mathlib's naming convention uses for them (``≤`` is ``le``, ``∑`` is ``sum``,
``√`` is ``sqrt``), so a statement ``√x ≤ y`` shares tokens with the lemma ``Real.sqrt_le_left``.
Following that convention ``≥``/``>`` read as ``le``/``lt``.
"""

from __future__ import annotations

import re

SYMBOL_WORDS: dict[str, str] = {
    "ℝ": "real",
    "ℕ": "nat",
    "ℤ": "int",
    "ℚ": "rat",
    "ℂ": "complex",
    "≤": "le",
    "≥": "le",
    "<": "lt",
    ">": "lt",
    "≠": "ne",
    "=": "eq",
    "∑": "sum",
    "∏": "prod",
    "√": "sqrt",
    "∣": "dvd",
    "¬": "not",
    "∀": "forall",
    "∃": "exists",
    "∧": "and",
    "∨": "or",
    "↔": "iff",
    "→": "imp",
    "∈": "mem",
    "∉": "not mem",
    "⊆": "subset",
    "⊂": "ssubset",
    "∩": "inter",
    "∪": "union",
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
    "^": "pow",
    "%": "mod",
    "•": "smul",
    "∘": "comp",
    "‖": "norm",
    "|": "abs",
    "⌊": "floor",
    "⌋": "",
    "⌈": "ceil",
    "⌉": "",
    "π": "pi",
    "∞": "top",
    "⊤": "top",
    "⊥": "bot",
    "⁻¹": "inv",
    "∫": "integral",
    "!": "factorial",
    "∅": "empty",
    "×": "prod",
    "ᶜ": "compl",
    "∆": "symm diff",
    "⨆": "supr",
    "⨅": "infi",
    "⊔": "sup",
    "⊓": "inf",
    "≡": "modeq",
    "°": "",
}
NUMBER_WORDS: dict[str, str] = {"0": "zero", "1": "one", "2": "two", "3": "three"}

_SYMBOLS = "|".join(re.escape(s) for s in sorted(SYMBOL_WORDS, key=len, reverse=True))
_TOKEN = re.compile(rf"(?P<word>[^\W\d_][\w'!?]*)|(?P<number>\d+)|(?P<symbol>{_SYMBOLS})")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORD_PART = re.compile(r"[^\W_]+")


def split_identifier(identifier: str) -> list[str]:
    """``Nat.Prime.two_le`` -> ``nat prime two le``; ``IsPrimePow`` -> ``is prime pow``."""
    parts: list[str] = []
    for piece in _WORD_PART.findall(identifier):
        camel = _CAMEL.findall(piece)
        parts.extend(part.lower() for part in camel) if camel else parts.append(piece.lower())
    return parts


def lean_tokens(text: str) -> list[str]:
    """Tokens of Lean source or English text; single letters (bound variables) are dropped."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        if (word := match.group("word")) is not None:
            tokens.extend(SYMBOL_WORDS.get(part, part) for part in split_identifier(word) if len(part) > 1)
            # A single unicode letter that names a notation (ℝ, π) is meaningful; x, y, n are not.
            if len(word) == 1 and word in SYMBOL_WORDS:
                tokens.append(SYMBOL_WORDS[word])
        elif (number := match.group("number")) is not None:
            tokens.append(NUMBER_WORDS.get(number, number))
        elif (symbol := match.group("symbol")) is not None:
            tokens.extend(SYMBOL_WORDS[symbol].split())
    return [token for token in tokens if token]


def premise_document(name: str, signature: str, doc: str) -> list[str]:
    """BM25 tokens of a premise: its name twice (names carry the most signal), signature, docstring.

    ``signature`` is the indexed form (``retrieval.text``): the gloss of the name and the stripped binders.
    """
    name_tokens = lean_tokens(name)
    return name_tokens + name_tokens + lean_tokens(signature) + lean_tokens(doc)
