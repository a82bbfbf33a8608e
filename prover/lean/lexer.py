"""A tokenizer for Lean 4 source text that never fails.

It knows what matters for text surgery: nested block comments (``/- /- -/ -/``), doc comments (``/-- -/``,
``/-! -/``), line comments, string and character literals, numbers, identifiers with Lean's unicode rules
(``h₀``, ``ℝ``, ``x'``, ``«odd name»``, dotted names) and symbols by longest match over the common token table.
Unterminated comments and strings run to the end of the text instead of raising: Lean text from an LLM is
often broken, and every caller wants the best reading of it.

Offsets are indices into the Python string (code points), so they convert to REPL columns directly.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple



class TokenKind(StrEnum):
    ident = "ident"
    number = "number"
    string = "string"
    char = "char"
    name_literal = "name_literal"  # `foo or ``foo
    symbol = "symbol"
    line_comment = "line_comment"
    block_comment = "block_comment"
    doc_comment = "doc_comment"  # /-- ... -/ and /-! ... -/


COMMENT_KINDS = frozenset({TokenKind.line_comment, TokenKind.block_comment, TokenKind.doc_comment})


class Token(NamedTuple):
    """One token. A named tuple rather than a pydantic value: files have tens of thousands of them."""

    kind: TokenKind
    text: str
    start: int  # offset of the first character
    end: int  # offset just past the last character

    @property
    def is_comment(self) -> bool:
        return self.kind in COMMENT_KINDS


# Multi-character symbols, longest first when matching. Anything else is a one-character symbol, which is
# also how Lean splits characters that start no token of its table.
_SYMBOLS = sorted(
    {
        ":=", "::", "=>", "->", "<-", "<->", "<;>", "<|>", "<|", "|>.", "|>", "<=", ">=", "!=", "==", "&&", "||",
        "++", "..", "...", "@[", "%[", "#[", "^^^", "**", "//", "/\\", "\\/", "⁻¹", "?_", "$", "<<<", ">>>",
        "=?=", "←", "→", "↔", "∘", "×ˢ", "!!", "∑'", "∏'",
    },
    key=len,
    reverse=True,
)
_SYMBOLS_BY_FIRST: dict[str, tuple[str, ...]] = {
    first: tuple(s for s in _SYMBOLS if s[0] == first) for first in {s[0] for s in _SYMBOLS}
}
_WHITESPACE = re.compile(r"\s+")


def _is_letter_like(c: str) -> bool:
    """Lean's ``isLetterLike``: Greek except λ Π Σ, Coptic, polytonic Greek, the letter-like block, math letters."""
    v = ord(c)
    return (
        (0x3B1 <= v <= 0x3C9 and v != 0x3BB)
        or (0x391 <= v <= 0x3A9 and v not in (0x3A0, 0x3A3))
        or 0x3CA <= v <= 0x3FB
        or 0x1F00 <= v <= 0x1FFE
        or 0x2100 <= v <= 0x214F
        or 0x1D49C <= v <= 0x1D59F
    )


def _is_subscript_alnum(c: str) -> bool:
    v = ord(c)
    return 0x2080 <= v <= 0x2089 or 0x2090 <= v <= 0x209C or 0x1D62 <= v <= 0x1D6A or c == "ⱼ"


def is_ident_start(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or c == "_" or c == "«" or _is_letter_like(c)


def is_ident_rest(c: str) -> bool:
    return (
        ("a" <= c <= "z")
        or ("A" <= c <= "Z")
        or ("0" <= c <= "9")
        or c in "_'!?"
        or _is_letter_like(c)
        or _is_subscript_alnum(c)
    )


def _block_comment_end(text: str, start: int) -> int:
    """End offset of the (nested) block comment opening at ``start``; the text's end when unterminated."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        if text.startswith("/-", i):
            depth += 1
            i += 2
        elif text.startswith("-/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _string_end(text: str, start: int) -> int:
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        i += 1
    return n


def _ident_end(text: str, start: int) -> int:
    """End of a possibly dotted identifier; a dot joins parts only when an identifier part follows it."""
    i = start
    n = len(text)
    while True:
        if i < n and text[i] == "«":
            close = text.find("»", i + 1)
            i = n if close < 0 else close + 1
        else:
            i += 1
            while i < n and is_ident_rest(text[i]):
                i += 1
        if i + 1 < n and text[i] == "." and is_ident_start(text[i + 1]):
            i += 1
            continue
        return i


def _number_end(text: str, start: int) -> int:
    n = len(text)
    i = start
    if text.startswith(("0x", "0X", "0b", "0B", "0o", "0O"), i):
        i += 2
        while i < n and (text[i].isalnum() or text[i] == "_"):
            i += 1
        return i
    while i < n and text[i].isdigit() and text[i].isascii():
        i += 1
    if i + 1 < n and text[i] == "." and text[i + 1].isdigit() and text[i + 1].isascii():
        i += 1
        while i < n and text[i].isdigit() and text[i].isascii():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit() and text[j].isascii():
            i = j
            while i < n and text[i].isdigit() and text[i].isascii():
                i += 1
    return i


def tokenize(text: str) -> tuple[Token, ...]:
    """All tokens of ``text`` including comments; whitespace is the gaps between them."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            match = _WHITESPACE.match(text, i)
            i = match.end() if match else i + 1
            continue
        start = i
        kind: TokenKind
        if c == "-" and text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            kind = TokenKind.line_comment
        elif c == "/" and text.startswith("/-", i):
            i = _block_comment_end(text, i)
            is_doc = text.startswith(("/--", "/-!"), start) and not text.startswith("/--/", start)
            kind = TokenKind.doc_comment if is_doc else TokenKind.block_comment
        elif c == '"':
            i = _string_end(text, i)
            kind = TokenKind.string
        elif c == "'" and i + 2 < n and (text[i + 2] == "'" or (text[i + 1] == "\\" and "'" in text[i + 2 : i + 8])):
            i = text.index("'", i + 2) + 1 if text[i + 1] == "\\" else i + 3
            kind = TokenKind.char
        elif c == "`" and i + 1 < n and (is_ident_start(text[i + 1]) or text[i + 1] == "`"):
            j = i + 1 if text[i + 1] != "`" else i + 2
            if j < n and is_ident_start(text[j]):
                i = _ident_end(text, j)
                kind = TokenKind.name_literal
            else:
                i += 1
                kind = TokenKind.symbol
        elif c == "#" and i + 1 < n and is_ident_start(text[i + 1]):
            i = _ident_end(text, i + 1)  # #eval, #print, #exit: one command token
            kind = TokenKind.symbol
        elif c.isascii() and c.isdigit():
            i = _number_end(text, i)
            kind = TokenKind.number
        elif is_ident_start(c):
            i = _ident_end(text, i)
            kind = TokenKind.ident
        else:
            for symbol in _SYMBOLS_BY_FIRST.get(c, ()):
                if text.startswith(symbol, i):
                    i += len(symbol)
                    break
            else:
                i += 1
            kind = TokenKind.symbol
        tokens.append(Token(kind=kind, text=text[start:i], start=start, end=i))
    return tuple(tokens)


def code_tokens(text: str) -> tuple[Token, ...]:
    """Tokens without comments (doc comments included): what Lean's parser sees."""
    return tuple(t for t in tokenize(text) if not t.is_comment)
