"""The goal each hole of a ``have`` sketch would have, read from the text alone (no Lean).

An approximation of what Lean prints for a hole of a straight-line sketch: the theorem's binders, then every
earlier ``have NAME : T`` of the same proof, ``⊢`` the hole's stated type. Lean's own printing differs (it
elaborates, inserts coercion arrows, renames shadowed names): decomposition never uses this for a real
subgoal, only the offline benchmark (``bench/decompose_offline.py``) and tests that play Lean do.
"""

from __future__ import annotations

from prover.lean.sketch import HoleKind, Sorrified, sorrify
from prover.lean.text import expand_binders, parse_file
from prover.types import Frozen, Pos


class TextualHole(Frozen):
    label: str
    statement: str  # the stated type, as written
    pos: Pos  # of the ``sorry`` in the sorrified text
    goal: str  # the printed-goal approximation: hypotheses, then ``⊢ statement``


def _one_line(text: str) -> str:
    return " ".join(text.split())


def textual_holes(sorrified: Sorrified, theorem: str) -> tuple[TextualHole, ...]:
    """The ``have`` holes of ``theorem`` in ``sorrified`` with their approximate goals, in order."""
    declaration = parse_file(sorrified.text).find(theorem)
    if declaration is None:
        return ()
    hypotheses: list[str] = []
    for binder in expand_binders(declaration.binders):
        if binder.bracket == "[":
            hypotheses.append(f"inst✝ : {_one_line(binder.type)}")
        elif binder.type:
            hypotheses.append(f"{binder.name} : {_one_line(binder.type)}")
    holes: list[TextualHole] = []
    for hole in sorrified.holes:
        if hole.declaration != declaration.name or hole.kind is not HoleKind.have or not hole.statement:
            continue
        statement = _one_line(hole.statement)
        goal = "\n".join([*hypotheses, f"⊢ {statement}"])
        holes.append(TextualHole(label=hole.label, statement=statement, pos=hole.span.start, goal=goal))
        if hole.label and " " not in hole.label:
            hypotheses.append(f"{hole.label} : {statement}")
    return tuple(holes)


def sketch_of(proof_text: str, theorem: str) -> tuple[Sorrified, tuple[TextualHole, ...]]:
    """Sorrify a published proof file and read the goals of the theorem's ``have`` holes."""
    sorrified = sorrify(proof_text)
    return sorrified, textual_holes(sorrified, theorem)
