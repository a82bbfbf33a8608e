"""The step structure of tactic proofs: which tokens form one tactic step of a ``by`` block.

Lean reads a tactic block by position: the first tactic fixes the block's column, each later line that starts
in that column outside brackets starts the next step, and a line further left ends the block. A line that starts
with ``<;>``, or follows a line ending in ``<;>``, continues the step before it, and ``|`` alternatives in the
block's column belong to the ``induction``/``cases``/``match`` step above them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from prover.lean.lexer import Token, TokenKind
from prover.lean.text import CLOSERS, OPENERS, LineIndex

CONTINUATION_TOKENS = frozenset({"<;>", "|", "<|>"})
BULLETS = frozenset({"·", "."})


@dataclass(frozen=True)
class Step:
    """Tokens ``code[first:stop]`` of one step; ``start``/``end`` are offsets of its first and last character."""

    first: int
    stop: int
    start: int
    end: int
    column: int

    def head(self, code: Sequence[Token]) -> str:
        return code[self.first].text


def _line_first(text: str, offset: int) -> bool:
    i = offset - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n"


class BlockReader:
    """Reads tactic blocks of one text. ``code`` are its comment-free tokens."""

    def __init__(self, text: str, code: Sequence[Token], index: LineIndex | None = None) -> None:
        self.text = text
        self.code = code
        self.index = index if index is not None else LineIndex(text)
        self._starts = [t.start for t in code]

    def token_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        return bisect.bisect_left(self._starts, offset)

    def steps(self, first: int, stop: int) -> list[Step]:
        """The steps of the block whose first tactic is ``code[first]``; the block ends by ``stop`` at the latest."""
        code, text = self.code, self.text
        if first >= stop:
            return []
        column = self.index.column(code[first].start)
        steps: list[Step] = []
        step_first = first
        depth = 0
        i = first
        while i < stop:
            token = code[i]
            if i > first and depth == 0 and _line_first(text, token.start):
                token_column = self.index.column(token.start)
                if token_column < column:
                    break
                continues = token.text in CONTINUATION_TOKENS or code[i - 1].text in ("<;>", "<|>")
                if token_column == column and not continues:
                    steps.append(self._step(step_first, i, column))
                    step_first = i
            if token.text in OPENERS:
                depth += 1
            elif token.text in CLOSERS:
                if depth == 0:
                    break  # `(by tac)`: the block ends at the bracket that closes around it
                depth -= 1
            i += 1
        steps.append(self._step(step_first, i, column))
        return steps

    def _step(self, first: int, stop: int, column: int) -> Step:
        return Step(
            first=first, stop=stop, start=self.code[first].start, end=self.code[stop - 1].end, column=column
        )

    def find_depth0(self, first: int, stop: int, words: frozenset[str]) -> int:
        """Index of the first token in ``words`` outside brackets within ``[first, stop)``, else ``stop``."""
        depth = 0
        for i in range(first, stop):
            word = self.code[i].text
            if depth == 0 and word in words and self.code[i].kind in (TokenKind.symbol, TokenKind.ident):
                return i
            if word in OPENERS:
                depth += 1
            elif word in CLOSERS:
                depth = max(0, depth - 1)
        return stop

    def body_after(self, keyword: int, stop: int) -> tuple[int, int] | None:
        """Token range of the proof after ``:=``/``from``/``=>`` at ``keyword``; past a ``by`` when it has one."""
        first = keyword + 1
        if first < stop and self.code[first].text == "by":
            first += 1
        return (first, stop) if first < stop else None
