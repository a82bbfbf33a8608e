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
        ":=",
        "::",
        "=>",
        "->",
        "<-",
        "<->",
        "<;>",
        "<|>",
        "<|",
        "|>.",
        "|>",
        "<=",
        ">=",
        "!=",
        "==",
        "&&",
        "||",
        "++",
        "..",
        "...",
        "@[",
        "%[",
        "#[",
        "^^^",
        "**",
        "//",
        "/\\",
        "\\/",
        "⁻¹",
        "?_",
        "$",
        "<<<",
        ">>>",
        "=?=",
        "←",
        "→",
        "↔",
        "∘",
        "×ˢ",
        "!!",
        "∑'",
        "∏'",
    },
    key=len,
    reverse=True,
)
_COMMENT_MARK = re.compile(r"/-|-/")


def _block_comment_end(text: str, start: int) -> int:
    """End offset of the (nested) block comment opening at ``start``; the text's end when unterminated."""
    depth = 0
    for mark in _COMMENT_MARK.finditer(text, start):
        depth += 1 if mark.group() == "/-" else -1
        if depth == 0:
            return mark.end()
    return len(text)


# Identifiers follow Lean's rules: letters, `_` and "letter-like" characters (Greek but λ Π Σ, Coptic, the
# letter-like block with ℕ ℝ, math alphanumerics) start one; digits, `'`, `!`, `?` and subscripts may follow.
_LETTER_LIKE = "α-κμ-ωΑ-ΟΡΤ-Ωϊ-ϻἀ-῾℀-⅏\U0001d49c-\U0001d59f"
_IDENT_PART = rf"(?:«[^»]*»|[A-Za-z_{_LETTER_LIKE}][A-Za-z0-9_'!?{_LETTER_LIKE}₀-₉ₐ-ₜᵢ-ᵪⱼ]*)"
_IDENT = rf"{_IDENT_PART}(?:\.{_IDENT_PART})*"  # a dot joins parts only when a part follows it
_TOKEN = re.compile(
    rf"""(?P<ws>\s+)
    |(?P<line>--[^\n]*)
    |(?P<comment>/-(?:[^-/]|-(?!/)|/(?!-))*-/)
    |(?P<nested>/-)
    |(?P<string>"(?:[^"\\]|\\.)*"?)
    |(?P<ident>{_IDENT})
    |(?P<number>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    |(?P<command>\#{_IDENT})
    |(?P<name>``?{_IDENT})
    |(?P<char>'(?:\\[^'\n]{{1,8}}|[^'\\\n])')
    |(?P<symbol>{"|".join(re.escape(symbol) for symbol in _SYMBOLS)}|.)""",
    re.VERBOSE | re.DOTALL,
)
_KIND_OF_GROUP = {
    "line": TokenKind.line_comment,
    "string": TokenKind.string,
    "ident": TokenKind.ident,
    "number": TokenKind.number,
    "command": TokenKind.symbol,  # #eval, #print, #exit: one command token
    "name": TokenKind.name_literal,
    "char": TokenKind.char,
    "symbol": TokenKind.symbol,
}


def _comment_kind(text: str, start: int) -> TokenKind:
    is_doc = text.startswith(("/--", "/-!"), start) and not text.startswith("/--/", start)
    return TokenKind.doc_comment if is_doc else TokenKind.block_comment


def tokenize(text: str) -> tuple[Token, ...]:
    """All tokens of ``text`` including comments; whitespace is the gaps between them."""
    tokens: list[Token] = []
    append = tokens.append
    position = 0
    while position < len(text):
        # Every character starts some alternative, so the matches tile the text. A nested (or unterminated)
        # block comment is measured by hand, and the scan restarts after it.
        for match in _TOKEN.finditer(text, position):
            group = match.lastgroup
            if group == "ws":
                continue
            start = match.start()
            if group == "nested":
                end = _block_comment_end(text, start)
                append(Token(_comment_kind(text, start), text[start:end], start, end))
                position = end
                break
            kind = _comment_kind(text, start) if group == "comment" else _KIND_OF_GROUP[group or "symbol"]
            append(Token(kind, match.group(), start, match.end()))
        else:
            position = len(text)
    return tuple(tokens)


def code_tokens(text: str) -> tuple[Token, ...]:
    """Tokens without comments (doc comments included): what Lean's parser sees."""
    return tuple(t for t in tokenize(text) if not t.is_comment)
