"""Sketch surgery: turn a proof into a sketch with ``sorry`` holes (sorrify) and put proofs back (splice).

``sorrify`` replaces the proof of every top-level step of every tactic proof in a file (as Hilbert does):

- ``have``/``obtain`` with a stated type: the proof after ``:=`` (after its ``by``),
- ``suffices h : t by …``/``from …`` and ``show t from …``: the part after ``by``/``from``,
- ``case tag =>``/``next =>`` and the ``| pat =>`` alternatives of ``induction``/``cases``/``match``: the body,
- bullets (``· …``), which are how the cases of ``rcases``/``by_cases``/``constructor`` are written.

Steps without a stated goal (``have h := foo``, ``obtain ⟨x, hx⟩ := h``) and closing tactics stay as they are.
Only the top level is cut: nested steps travel inside their hole's original text, so holes never overlap and
``splice(s.text, s.fills) == original`` byte for byte.

``goal_to_lemma`` (``prover.lean.goals``) and ``mask_errors`` (``prover.lean.masking``) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from prover.errors import LeanSourceError
from prover.lean.goals import goal_to_lemma, goals_to_lemmas, parse_goals
from prover.lean.lexer import tokenize
from prover.lean.masking import MaskResult, mask_errors, mask_step
from prover.lean.tactic_blocks import BULLETS, BlockReader, Step
from prover.lean.text import LineIndex, Span, parse_file
from prover.types import Frozen

__all__ = [
    "Hole",
    "HoleKind",
    "MaskResult",
    "Sorrified",
    "goal_to_lemma",
    "goals_to_lemmas",
    "mask_errors",
    "mask_step",
    "parse_goals",
    "sorrify",
    "splice",
]

HOLE = "sorry"
ALTERNATIVE_HEADS = frozenset({"induction", "induction'", "cases", "cases'", "match", "rcases"})


class HoleKind(StrEnum):
    have = "have"
    obtain = "obtain"
    suffices = "suffices"
    show_from = "show_from"
    case = "case"  # `case tag =>`, `next =>`
    alternative = "alternative"  # `| pat =>` of induction / cases / match
    bullet = "bullet"


class Hole(Frozen):
    """One ``sorry`` put in place of a proof. ``span`` is in the sorrified text, ``original_span`` in the input."""

    kind: HoleKind
    span: Span
    original: str
    original_span: Span
    label: str = ""  # the `have` name, the case tag, the alternative's pattern
    statement: str | None = None  # the stated type of have / obtain / suffices / show
    declaration: str = ""


class Sorrified(Frozen):
    text: str
    holes: tuple[Hole, ...]

    @property
    def fills(self) -> tuple[tuple[Span, str], ...]:
        """What ``splice`` needs to restore the original text."""
        return tuple((hole.span, hole.original) for hole in self.holes)


def _statement_hole(reader: BlockReader, step: Step, kind: HoleKind) -> tuple[int, int, str, str] | None:
    """(first token, stop token, label, stated type) of the proof of a have/obtain step with a type."""
    code = reader.code
    assign = reader.find_depth0(step.first + 1, step.stop, frozenset({":="}))
    colon = reader.find_depth0(step.first + 1, assign, frozenset({":"}))
    if assign >= step.stop or colon >= assign:
        return None
    body = reader.body_after(assign, step.stop)
    if body is None:
        return None
    label = " ".join(t.text for t in code[step.first + 1 : colon]) if kind is HoleKind.have else ""
    statement = reader.text[code[colon + 1].start : code[assign - 1].end] if colon + 1 < assign else ""
    return body[0], body[1], label, statement


def _step_holes(reader: BlockReader, step: Step) -> list[tuple[HoleKind, int, int, str, str | None]]:
    code = reader.code
    head = step.head(code)
    found: list[tuple[HoleKind, int, int, str, str | None]] = []
    if head in ("have", "obtain"):
        kind = HoleKind.have if head == "have" else HoleKind.obtain
        hole = _statement_hole(reader, step, kind)
        if hole is not None:
            found.append((kind, hole[0], hole[1], hole[2], hole[3]))
    elif head in ("suffices", "show"):
        words = frozenset({"by", "from"}) if head == "suffices" else frozenset({"from"})
        keyword = reader.find_depth0(step.first + 1, step.stop, words)
        if keyword + 1 < step.stop:
            kind = HoleKind.suffices if head == "suffices" else HoleKind.show_from
            colon = reader.find_depth0(step.first + 1, keyword, frozenset({":"}))
            type_first = colon + 1 if colon < keyword else step.first + 1
            label = code[step.first + 1].text if colon < keyword and colon == step.first + 2 else ""
            statement = (
                reader.text[code[type_first].start : code[keyword - 1].end] if type_first < keyword else None
            )
            found.append((kind, keyword + 1, step.stop, label, statement))
    elif head in ("case", "next"):
        arrow = reader.find_depth0(step.first + 1, step.stop, frozenset({"=>"}))
        if arrow + 1 < step.stop:
            label = " ".join(t.text for t in code[step.first + 1 : arrow])
            found.append((HoleKind.case, arrow + 1, step.stop, label, None))
    elif head in BULLETS:
        if step.first + 1 < step.stop:
            found.append((HoleKind.bullet, step.first + 1, step.stop, "", None))
    elif head in ALTERNATIVE_HEADS:
        found.extend(_alternatives(reader, step))
    return found


def _alternatives(reader: BlockReader, step: Step) -> list[tuple[HoleKind, int, int, str, str | None]]:
    code, text = reader.code, reader.text
    bars: list[int] = []
    depth = 0
    for i in range(step.first + 1, step.stop):
        word = code[i].text
        if depth == 0 and word == "|":
            line_start = text.rfind("\n", 0, code[i].start) + 1
            if not text[line_start : code[i].start].strip() or code[i - 1].text == "with":
                bars.append(i)
        if word in ("(", "[", "{", "⟨", "⦃"):
            depth += 1
        elif word in (")", "]", "}", "⟩", "⦄"):
            depth = max(0, depth - 1)
    if bars:  # alternatives of nested `induction`/`match` steps sit right of this step's first one
        column = reader.index.column(code[bars[0]].start)
        bars = [b for b in bars if reader.index.column(code[b].start) == column or b == bars[0]]
    found: list[tuple[HoleKind, int, int, str, str | None]] = []
    for bar, next_bar in zip(bars, [*bars[1:], step.stop], strict=False):
        arrow = reader.find_depth0(bar + 1, next_bar, frozenset({"=>"}))
        if arrow + 1 < next_bar:
            label = " ".join(t.text for t in code[bar + 1 : arrow])
            found.append((HoleKind.alternative, arrow + 1, next_bar, label, None))
    return found


def sorrify(text: str) -> Sorrified:
    """Replace the proof of every top-level step of every tactic proof in ``text`` with ``sorry``."""
    tokens = tokenize(text)
    parsed = parse_file(text, tokens=tokens)
    index = LineIndex(text)
    code = [t for t in tokens if not t.is_comment]
    reader = BlockReader(text, code, index)
    cuts: list[
        tuple[int, int, HoleKind, str, str | None, str]
    ] = []  # start, end, kind, label, statement, decl
    for declaration in parsed.declarations:
        if not declaration.is_tactic_proof or declaration.proof_span is None:
            continue
        by_token = reader.token_at(declaration.proof_span.start_offset)
        stop = reader.token_at(declaration.proof_span.end_offset)
        for step in reader.steps(by_token + 1, stop):
            for kind, first, last, label, statement in _step_holes(reader, step):
                cuts.append((code[first].start, code[last - 1].end, kind, label, statement, declaration.name))
    pieces: list[str] = []
    placed: list[tuple[int, tuple[int, int, HoleKind, str, str | None, str]]] = []
    cursor = 0
    new_length = 0
    for cut in sorted(cuts):
        start, end = cut[0], cut[1]
        pieces.append(text[cursor:start])
        new_length += start - cursor
        placed.append((new_length, cut))
        pieces.append(HOLE)
        new_length += len(HOLE)
        cursor = end
    pieces.append(text[cursor:])
    new_text = "".join(pieces)
    new_index = LineIndex(new_text)
    holes = tuple(
        Hole(
            kind=kind,
            span=new_index.span(offset, offset + len(HOLE)),
            original=text[start:end],
            original_span=index.span(start, end),
            label=label,
            statement=statement,
            declaration=declaration,
        )
        for offset, (start, end, kind, label, statement, declaration) in placed
    )
    return Sorrified(text=new_text, holes=holes)


def splice(text: str, fills: Sequence[tuple[Span, str]]) -> str:
    """Replace each span of ``text`` with its proof text; spans must lie in ``text`` and must not overlap.

    Raises ``LeanSourceError`` when a span does not belong to ``text`` (its offsets and positions disagree) or
    when two spans overlap.
    """
    index = LineIndex(text)
    ordered = sorted(fills, key=lambda fill: fill[0].start_offset)
    previous_end = 0
    pieces: list[str] = []
    for span, proof in ordered:
        if not 0 <= span.start_offset <= span.end_offset <= len(text):
            raise LeanSourceError(f"hole {span.start_offset}..{span.end_offset} lies outside the text")
        if index.pos(span.start_offset) != span.start or index.pos(span.end_offset) != span.end:
            raise LeanSourceError(
                f"hole at {span.start.line}:{span.start.column} does not match this text's positions",
                line=span.start.line,
            )
        if span.start_offset < previous_end:
            raise LeanSourceError(
                f"holes overlap at {span.start.line}:{span.start.column}", line=span.start.line
            )
        pieces.append(text[previous_end : span.start_offset])
        pieces.append(proof)
        previous_end = span.end_offset
    pieces.append(text[previous_end:])
    return "".join(pieces)
