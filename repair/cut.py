"""Sorrify what fails, keep what works: cut the failing parts out of a proof at Lean's error positions.

Lean 4 recovers from an error inside a nested proof (a ``have``'s ``by`` block is replaced by ``sorry`` and the
outer block goes on), but a tactic block stops at its first failing tactic: the steps after it never ran. So one
round of cutting, for each error inside a declaration's tactic proof, does:

- inside the proof of a top-level step (``have``/``obtain``/``suffices``/``show … from``/``case``/``next``/a
  bullet): that proof becomes ``sorry``; the step's statement stays, so the hole's goal is the stated one;
- on a top-level step's own tokens: the last step of the block becomes ``sorry``; an earlier one is commented
  out (line count kept), and the steps after it get their verdict in the next round;
- outside every step (``unsolved goals`` on ``by`` or on the declaration): a final ``sorry`` step (APOLLO).

Everything else stays byte for byte. A term-mode proof with an error becomes ``sorry`` as a whole. The caller
rechecks and cuts again until Lean reports no error (only sorries), or a round changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from prover.lean.lexer import tokenize
from prover.lean.masking import BODY_KEYWORDS, apply_outermost, error_positions
from prover.lean.tactic_blocks import BULLETS, BlockReader, Step
from prover.lean.text import Declaration, LineIndex, parse_file
from prover.types import Frozen, Message, Pos

HOLE = "sorry"


class CutKind(StrEnum):
    sorry_body = "sorry_body"  # the proof of a have/obtain/suffices/show/case/bullet
    sorry_step = "sorry_step"  # the last step of the block
    comment_out = "comment_out"  # an earlier step
    append_sorry = "append_sorry"  # unsolved goals at the end of the block
    sorry_term = "sorry_term"  # a term-mode proof


class CutEdit(Frozen):
    kind: CutKind
    line: int  # first line (1-based) of what changed, in the input text
    replaced: str  # the text that was cut (empty for append_sorry)


class Cut(Frozen):
    text: str
    edits: tuple[CutEdit, ...] = ()
    unplaced: tuple[Pos, ...] = ()  # errors outside every proof (in a statement, in the header)

    @property
    def changed(self) -> bool:
        return bool(self.edits)


def top_level_steps(text: str, name: str) -> list[Step]:
    """The top-level steps of the tactic proof of declaration ``name`` in ``text`` ([] for a term proof)."""
    tokens = tokenize(text)
    declaration = parse_file(text, tokens=tokens).find(name)
    if declaration is None or declaration.proof_span is None or not declaration.is_tactic_proof:
        return []
    reader = BlockReader(text, [t for t in tokens if not t.is_comment], LineIndex(text))
    by_token = reader.token_at(declaration.proof_span.start_offset)
    return reader.steps(by_token + 1, reader.token_at(declaration.proof_span.end_offset))


def _containing(steps: Sequence[Step], offset: int) -> Step | None:
    for step in steps:
        if step.start <= offset <= step.end:
            return step
    return None


def _body(reader: BlockReader, step: Step) -> tuple[int, int, int] | None:
    """(keyword token, first body token, stop token) of the proof a top-level step carries, if any."""
    code = reader.code
    head = step.head(code)
    if head in BULLETS:
        return (step.first, step.first + 1, step.stop) if step.first + 1 < step.stop else None
    words = BODY_KEYWORDS.get(head)
    if words is None:
        return None
    keyword = reader.find_depth0(step.first + 1, step.stop, words)
    if keyword >= step.stop:
        return None
    body = reader.body_after(keyword, step.stop)
    return (keyword, body[0], body[1]) if body is not None else None


def _comment_out(text: str, step: Step) -> str:
    """``-- `` before the step's first token and after the indentation of each later line of the step."""
    lines = text[step.start : step.end].split("\n")
    out = ["-- " + lines[0]]
    out += [
        line[: len(line) - len(line.lstrip())] + "-- " + line.lstrip() if line.strip() else line
        for line in lines[1:]
    ]
    return "\n".join(out)


def _declaration_edits(
    text: str, reader: BlockReader, declaration: Declaration, offsets: Sequence[int]
) -> list[tuple[int, int, str, CutKind]]:
    proof = declaration.proof_span
    assert proof is not None
    if not declaration.is_tactic_proof:
        return [(proof.start_offset, proof.end_offset, HOLE, CutKind.sorry_term)]
    code, index = reader.code, reader.index
    by_token = reader.token_at(proof.start_offset)
    stop = reader.token_at(proof.end_offset)
    steps = reader.steps(by_token + 1, stop)
    edits: list[tuple[int, int, str, CutKind]] = []
    needs_final_sorry = False
    for offset in offsets:
        step = _containing(steps, offset) if steps else None
        if step is None:
            needs_final_sorry = True
            continue
        body = _body(reader, step)
        if body is not None and offset >= code[body[0]].start:
            _, first, last = body
            if first < last:
                edits.append((code[first].start, code[last - 1].end, HOLE, CutKind.sorry_body))
            else:
                edits.append((code[body[0]].end, code[body[0]].end, " " + HOLE, CutKind.sorry_body))
        elif step is steps[-1]:
            edits.append((step.start, step.end, HOLE, CutKind.sorry_step))
        else:
            edits.append((step.start, step.end, _comment_out(text, step), CutKind.comment_out))
    if needs_final_sorry:
        last_step = steps[-1] if steps else None
        if last_step is None or code[last_step.stop - 1].text != HOLE:
            end = last_step.end if last_step is not None else code[by_token].end
            column = (
                last_step.column if last_step is not None else index.column(declaration.span.start_offset) + 2
            )
            edits.append((end, end, "\n" + " " * column + HOLE, CutKind.append_sorry))
    return edits


def cut_failures(text: str, errors: Sequence[Message]) -> Cut:
    """One round of cutting for the error-severity ``errors`` (positions in ``text``)."""
    index = LineIndex(text)
    positions = error_positions(errors)
    offsets: list[int] = []
    for pos in positions:
        try:
            offsets.append(index.offset(pos))
        except ValueError:
            continue
    tokens = tokenize(text)
    parsed = parse_file(text, tokens=tokens)
    reader = BlockReader(text, [t for t in tokens if not t.is_comment], index)
    edits: list[tuple[int, int, str, CutKind]] = []
    placed: set[int] = set()
    for declaration in parsed.declarations:
        proof = declaration.proof_span
        if proof is None:
            continue
        span = declaration.span
        in_proof: list[int] = []
        for offset in offsets:
            if not span.start_offset <= offset <= span.end_offset:
                continue
            if offset >= proof.start_offset:
                in_proof.append(offset)
            elif _unsolved_at(errors, index.pos(offset)):
                # `unsolved goals` on the declaration itself: the proof block needs a final sorry.
                in_proof.append(proof.start_offset)
            else:
                continue  # an error in the statement: no cut can address it
            placed.add(offset)
        if in_proof:
            edits.extend(_declaration_edits(text, reader, declaration, in_proof))
    new_text, kept = apply_outermost(text, edits)  # a sorried body covers the errors in it
    records = tuple(
        CutEdit(kind=kind, line=index.pos(start).line, replaced=text[start:end])
        for start, end, _, kind in kept
    )
    unplaced = tuple(index.pos(o) for o in offsets if o not in placed)
    return Cut(text=new_text, edits=records, unplaced=unplaced)


def _unsolved_at(errors: Sequence[Message], pos: Pos) -> bool:
    return any(m.pos == pos and m.text.lstrip().startswith("unsolved goals") for m in errors)
