"""What the repair model is shown: the failing code, each error with the goal at its position, the real names
for unknown identifiers, and retrieved premises (the fields of the ``repair`` prompt). Pure text rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prover.llm.base import LLMRequest
from prover.llm.prompts import load_prompt
from prover.types import Message, PremiseHit, Severity, SorryGoal
from repair.names import names_in

PROMPT = "repair"
NONE = "(none)"


def render_errors(errors: Sequence[Message], real_names: Mapping[str, Sequence[str]]) -> str:
    """``line:column: message`` per error (file order); an unknown name is followed by the real names found."""
    lines: list[str] = []
    for message in sorted(errors, key=lambda m: (m.pos.line, m.pos.column)):
        if message.severity is not Severity.error:
            continue
        lines.append(f"{message.pos.line}:{message.pos.column}: {message.text.strip()}")
        for name in names_in(message):
            found = real_names.get(name)
            if found:
                lines.append(f"  (no constant {name} exists; real names nearby: {', '.join(found)})")
    return "\n".join(lines) or NONE


def render_goals(errors: Sequence[Message], holes: Sequence[SorryGoal]) -> str:
    """The goals where the proof fails: Lean's goal at each hole cut at a failing step, else the goals that
    ``unsolved goals`` errors print."""
    if holes:
        return "\n\n".join(
            f"at {hole.pos.line}:{hole.pos.column}:\n{hole.goal.strip()}"
            for hole in sorted(holes, key=lambda h: (h.pos.line, h.pos.column))
        )
    printed = [
        f"at {m.pos.line}:{m.pos.column}:\n{m.text.strip().removeprefix('unsolved goals').strip()}"
        for m in errors
        if m.severity is Severity.error and m.text.lstrip().startswith("unsolved goals")
    ]
    return "\n\n".join(printed) or NONE


def render_premises(hits: Sequence[PremiseHit]) -> str:
    return "\n".join(f"{h.premise.name} : {' '.join(h.premise.signature.split())}" for h in hits) or NONE


def repair_request(
    *,
    endpoint: str,
    code: str,
    errors: Sequence[Message],
    holes: Sequence[SorryGoal] = (),
    real_names: Mapping[str, Sequence[str]] | None = None,
    premises: Sequence[PremiseHit] = (),
    n: int | None = None,
) -> LLMRequest:
    """The ``repair`` prompt for one failing proof; ``n`` answers (None: the role's setting)."""
    request = load_prompt(PROMPT).request(
        endpoint=endpoint,
        code=code.rstrip(),
        errors=render_errors(errors, real_names or {}),
        goals=render_goals(errors, holes),
        premises=render_premises(premises),
    )
    return request.model_copy(update={"n": n})
