"""Error-line masking (DSP+): make a failing sketch compile by removing what fails, keeping what passes.

For each error position inside a tactic proof:

- an error in a top-level step's own line(s) (its statement, or a closing tactic) comments the step out;
- an error inside the proof of a top-level step replaces the innermost failing nested step with ``sorry``, or
  in strict mode the whole proof of the top-level step;
- an error outside every step (``unsolved goals`` at the declaration) appends a ``sorry`` step to the block;
- an error in a term-mode proof replaces that proof with ``sorry``.

``mask_step`` runs one round of a masking loop safely: it turns strict when the errors of the previous round
come back unchanged, and it reports ``done`` on a clean sketch, when a (text, errors) pair repeats, or when even
strict masking changes nothing, so a caller's loop ends under its budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

from prover.lean.lexer import Token, tokenize
from prover.lean.tactic_blocks import BULLETS, BlockReader, Step
from prover.lean.text import Declaration, LineIndex, Span, parse_file
from prover.types import Frozen, Message, Pos, Severity

_Tag = TypeVar("_Tag")
# Steps that carry a nested proof, and the keywords that start it (a bullet's proof is the rest of the bullet).
BODY_KEYWORDS: dict[str, frozenset[str]] = {
    "have": frozenset({":="}),
    "obtain": frozenset({":="}),
    "suffices": frozenset({"by", "from"}),
    "show": frozenset({"from", "by"}),
    "case": frozenset({"=>"}),
    "next": frozenset({"=>"}),
}


class MaskAction(StrEnum):
    comment_out = "comment_out"
    sorry_step = "sorry_step"
    sorry_body = "sorry_body"
    append_sorry = "append_sorry"


class MaskEdit(Frozen):
    action: MaskAction
    line: int  # first line (1-based) of what was changed, in the input text
    replaced: str  # the text that was commented out or replaced


class MaskResult(Frozen):
    text: str
    edits: tuple[MaskEdit, ...] = ()
    unmasked: tuple[Pos, ...] = ()  # errors no edit can address (in a statement, outside declarations)
    strict: bool = False
    done: bool = False
    reason: str = ""
    history: tuple[str, ...] = ()  # fingerprints of earlier rounds (text + errors), for loop safety
    last_errors: str = ""


def error_positions(errors: Sequence[Pos | Message]) -> list[Pos]:
    """Positions of the errors (warnings and infos dropped), in file order, each once."""
    positions: list[Pos] = []
    for error in errors:
        match error:
            case Message(severity=Severity.error, pos=pos):
                positions.append(pos)
            case Message():
                continue
            case Pos():
                positions.append(error)
    return sorted(set(positions), key=lambda p: (p.line, p.column))


def _body_range(reader: BlockReader, step: Step) -> tuple[int, int] | None:
    """Token range of the nested proof a step carries (after `:=`, `by`, `from`, `=>`, or a bullet)."""
    code = reader.code
    head = step.head(code)
    if head in BULLETS:
        return (step.first + 1, step.stop) if step.first + 1 < step.stop else None
    words = BODY_KEYWORDS.get(head)
    if words is None:
        keyword = reader.find_depth0(step.first + 1, step.stop, frozenset({"by"}))
        return (keyword + 1, step.stop) if keyword + 1 < step.stop else None
    keyword = reader.find_depth0(step.first + 1, step.stop, words)
    if keyword >= step.stop:
        return None
    return reader.body_after(keyword, step.stop)


def _containing(steps: Sequence[Step], pos: Pos, index: LineIndex) -> Step | None:
    for step in steps:
        if index.pos(step.start) <= pos and pos <= index.pos(step.end):
            return step
    return None


def _innermost(reader: BlockReader, body: tuple[int, int], pos: Pos) -> Step | None:
    steps = reader.steps(*body)
    step = _containing(steps, pos, reader.index)
    if step is None:
        return None
    inner = _body_range(reader, step)
    if inner is not None and reader.index.pos(reader.code[inner[0]].start) <= pos:
        deeper = _innermost(reader, inner, pos)
        if deeper is not None:
            return deeper
    return step


def _comment_out(text: str, index: LineIndex, step: Step) -> str:
    """The lines of ``step`` with ``-- `` after each line's indentation (line count unchanged)."""
    lines = text[index.line_start(step.start) : step.end].split("\n")
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "-- " + line.lstrip() if line.strip() else line
        for line in lines
    )


def _declaration_edits(
    text: str, reader: BlockReader, declaration: Declaration, proof: Span, errors: list[Pos], strict: bool
) -> list[tuple[int, int, str, MaskAction]]:
    """(start, end, replacement, action) edits for the errors inside one declaration's proof."""
    index, code = reader.index, reader.code
    edits: list[tuple[int, int, str, MaskAction]] = []
    proof_start = proof.start_offset
    if not declaration.is_tactic_proof:
        return [(proof_start, proof.end_offset, "sorry", MaskAction.sorry_body)]
    by_token = reader.token_at(proof_start)
    stop = reader.token_at(proof.end_offset)
    steps = reader.steps(by_token + 1, stop)
    needs_sorry = False
    for pos in errors:
        step = _containing(steps, pos, index) if steps else None
        if step is None:
            needs_sorry = True
            continue
        body = _body_range(reader, step)
        in_body = body is not None and index.pos(code[body[0]].start) <= pos
        if not in_body or body is None:
            line_start = index.line_start(step.start)
            edits.append((line_start, step.end, _comment_out(text, index, step), MaskAction.comment_out))
            continue
        inner = None if strict else _innermost(reader, body, pos)
        if inner is None:
            edits.append((code[body[0]].start, code[body[1] - 1].end, "sorry", MaskAction.sorry_body))
        else:
            edits.append((inner.start, inner.end, "sorry", MaskAction.sorry_step))
    last: Token | None = code[steps[-1].stop - 1] if steps else None
    if needs_sorry and (last is None or last.text != "sorry"):
        end = last.end if last is not None else code[by_token].end
        column = steps[0].column if steps else index.pos(declaration.span.start_offset).column + 2
        edits.append((end, end, "\n" + " " * column + "sorry", MaskAction.append_sorry))
    return edits


Edit = tuple[int, int, str, _Tag]  # (start offset, end offset, replacement, why)


def apply_outermost(text: str, edits: Sequence[Edit[_Tag]]) -> tuple[str, list[Edit[_Tag]]]:
    """Apply the outermost of overlapping edits (commenting out or sorrying a step already covers an edit
    inside it; of two insertions at one point the first wins). Returns the new text and the edits applied."""
    kept: list[Edit[_Tag]] = []
    for edit in sorted(set(edits), key=lambda e: (e[0], -e[1])):
        if kept and edit[0] < kept[-1][1]:
            continue
        if kept and edit[0] == kept[-1][0] == kept[-1][1] == edit[1]:
            continue
        kept.append(edit)
    new_text = text
    for start, end, replacement, _ in reversed(kept):
        new_text = new_text[:start] + replacement + new_text[end:]
    return new_text, kept


def mask_errors(text: str, errors: Sequence[Pos | Message], *, strict: bool = False) -> MaskResult:
    """Apply one round of masking for ``errors`` (positions in ``text``; warnings are ignored)."""
    positions = error_positions(errors)
    unsolved_at = {
        e.pos
        for e in errors
        if isinstance(e, Message) and e.severity is Severity.error and "unsolved goals" in e.text
    }
    tokens = tokenize(text)
    parsed = parse_file(text, tokens=tokens)
    index = LineIndex(text)
    reader = BlockReader(text, [t for t in tokens if not t.is_comment], index)
    edits: list[tuple[int, int, str, MaskAction]] = []
    unmasked: list[Pos] = []
    for declaration in parsed.declarations:
        proof = declaration.proof_span
        if proof is None:
            continue
        mine = [p for p in positions if declaration.span.start <= p <= declaration.span.end]
        # Lean may put `unsolved goals` on the declaration itself; it means the proof block needs a sorry.
        unsolved = {p for p in mine if p < proof.start and p in unsolved_at}
        in_proof = [p for p in mine if proof.start <= p] + ([proof.start] if unsolved else [])
        mine = [p for p in mine if p not in unsolved]
        unmasked.extend(p for p in mine if p < proof.start)
        if in_proof:
            edits.extend(_declaration_edits(text, reader, declaration, proof, in_proof, strict))
    claimed = {p for d in parsed.declarations for p in positions if d.span.start <= p <= d.span.end}
    claimed |= unsolved_at
    unmasked.extend(p for p in positions if p not in claimed)
    new_text, kept = apply_outermost(text, edits)
    records = tuple(
        MaskEdit(action=action, line=index.pos(start).line, replaced=text[start:end])
        for start, end, _, action in kept
    )
    return MaskResult(text=new_text, edits=records, unmasked=tuple(sorted(set(unmasked))), strict=strict)


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def mask_step(text: str, errors: Sequence[Pos | Message], previous: MaskResult | None = None) -> MaskResult:
    """One loop-safe round: pass the previous round's result back in; stop when ``done``."""
    positions = error_positions(errors)
    history = previous.history if previous is not None else ()
    if not positions:
        return MaskResult(text=text, done=True, reason="no errors", history=history)
    errors_print = _fingerprint(
        *(f"{p.line}:{p.column}" for p in positions), *(e.text for e in errors if isinstance(e, Message))
    )
    strict = previous is not None and (previous.strict or previous.last_errors == errors_print)
    round_print = _fingerprint(text, errors_print, str(strict))
    if round_print in history:
        return MaskResult(
            text=text, strict=strict, done=True, reason="errors and text repeat", history=history
        )
    history = (*history, round_print)
    result = mask_errors(text, errors, strict=strict)
    if result.text == text and not strict:
        strict = True
        result = mask_errors(text, errors, strict=True)
    if result.text == text:
        return result.model_copy(
            update={"done": True, "reason": "masking changes nothing", "history": history, "strict": strict}
        )
    return result.model_copy(update={"history": history, "last_errors": errors_print, "strict": strict})
