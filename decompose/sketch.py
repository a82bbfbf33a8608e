"""Sketch text: from a reasoner's answer to the proof that is checked with its holes (pure functions).

An answer goes through code extraction (``<think>`` sections dropped), the normaliser, the forbidden-construct
scan (``sorry`` allowed: holes are the point) and the statement guard, so a sketch of a weaker or different
statement never reaches Lean. A "sketch" whose only hole is the whole proof is no decomposition and is rejected.

Hilbert's long-proof rule: a step the reasoner proved itself in more than ``long_proof_lines`` lines becomes a
hole (a subgoal) instead of being trusted to compile.

Pretty-printer options for the sketch check, so that the goals Lean prints for the holes re-elaborate as
standalone lemmas (as APOLLO does): ``pp.numericTypes`` (``(2 : ℝ)``, not ``2``), ``pp.coercions.types``
(``(↑n : ℝ)``, not ``↑n``) and ``pp.funBinderTypes`` (``fun (x : ℕ) => …``). All three are registered options of
Lean core in both profiles we pin, v4.15.0 and v4.24.0 (``Lean/PrettyPrinter/Delaborator/Options.lean``; an
unknown option would be an error, so the set is per profile). ``pp.fieldNotation`` stays on: ``x.1`` and
``h.le`` re-elaborate as printed. They are appended to the goal's header (global ``set_option``), which keeps
the proof's positions the same as in ``goal_source``'s text shifted by the header lines only.
"""

from __future__ import annotations

from prover.lean.guard import check_statement
from prover.lean.lexer import tokenize
from prover.lean.sketch import sorrify, splice
from prover.lean.text import Declaration, parse_file
from prover.search.candidate import Rejected, clean_code
from prover.search.strategies.base import goal_source
from prover.types import Frozen, Goal

PP_OPTIONS: dict[str, tuple[str, ...]] = {
    "v4.15.0": ("pp.numericTypes", "pp.coercions.types", "pp.funBinderTypes"),
    "v4.24.0": ("pp.numericTypes", "pp.coercions.types", "pp.funBinderTypes"),
}


def pp_header(profile: str) -> str:
    """The ``set_option`` lines appended to a goal's header for sketch checks under ``profile``."""
    return "".join(f"set_option {option} true\n" for option in PP_OPTIONS.get(profile, ()))


def with_header(goal: Goal, extra: str) -> Goal:
    """``goal`` with ``extra`` lines appended to its header (what the sketch check sends to Lean)."""
    if not extra:
        return goal
    return goal.model_copy(update={"header": goal.header.rstrip() + "\n" + extra})


class Sketch(Frozen):
    proof: str  # the text after ``:=``, holes included
    holes: int
    cut_long_steps: tuple[str, ...] = ()  # labels of steps whose long proofs became holes


class SketchRejected(Frozen):
    reason: str


def hole_count(proof: str) -> int:
    return sum(1 for t in tokenize(proof) if t.text == "sorry" and not t.is_comment)


def _theorem(code: str, goal: Goal) -> Declaration | None:
    parsed = parse_file(code)
    declaration = parsed.find(goal.name)
    if declaration is None and len(parsed.theorems) == 1:
        declaration = parsed.theorems[0]
    return declaration


def _cut_long_steps(code: str, name: str, max_lines: int) -> tuple[str, tuple[str, ...]]:
    """``code`` with every top-level step proof of theorem ``name`` longer than ``max_lines`` replaced by a hole."""
    if max_lines <= 0:
        return code, ()
    sorrified = sorrify(code)
    keep = []
    cut: list[str] = []
    for hole in sorrified.holes:
        long = hole.declaration == name and len(hole.original.strip().splitlines()) > max_lines
        if long:
            cut.append(hole.label or hole.kind.value)
        else:
            keep.append((hole.span, hole.original))
    if not cut:
        return code, ()
    return splice(sorrified.text, keep), tuple(cut)


def clean_sketch(
    llm_text: str, goal: Goal, *, allow_native_decide: bool = False, long_proof_lines: int = 0
) -> Sketch | SketchRejected:
    """The sketch (proof with holes) of ``goal`` in a reasoner's answer, or why it cannot be used."""
    code = clean_code(llm_text, allow_native_decide=allow_native_decide, allow_sorry=True)
    if isinstance(code, Rejected):
        return SketchRejected(reason=code.reason)
    declaration = _theorem(code, goal)
    if declaration is None:
        return SketchRejected(reason=f"no theorem {goal.name} in the answer")
    if declaration.name != goal.name:
        return SketchRejected(reason=f"the answer proves {declaration.name or 'an example'}, not {goal.name}")
    statement = check_statement(goal_source(goal, "by sorry"), code, goal.name)
    if not statement.ok:
        return SketchRejected(reason=f"statement changed: {statement.reason}")
    if declaration.proof is None or not declaration.is_tactic_proof:
        return SketchRejected(reason="the sketch is not a tactic proof")
    if declaration.where_clause:
        return SketchRejected(reason="the sketch needs a where/termination clause")
    code, cut = _cut_long_steps(code, declaration.name, long_proof_lines)
    declaration = _theorem(code, goal)
    assert declaration is not None and declaration.proof is not None  # cutting keeps the declaration
    proof = declaration.proof.strip()
    body = proof.removeprefix("by").strip()
    if body == "sorry" or body.removeprefix("exact").strip() == "sorry":
        return SketchRejected(reason="the only hole is the whole proof: no decomposition")
    return Sketch(proof=proof, holes=hole_count(proof), cut_long_steps=cut)


def proof_in(text: str, goal: Goal) -> str | None:
    """The proof of ``goal``'s theorem inside a whole checked text (after masking edited it)."""
    declaration = parse_file(text).find(goal.name)
    return declaration.proof.strip() if declaration is not None and declaration.proof else None
