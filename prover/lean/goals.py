"""Goals as Lean prints them → standalone lemmas (as APOLLO does for failing subgoals).

A printed goal is a list of hypotheses ``names : type`` (``n : ℕ := 3`` for a let-bound one), then
``⊢ target``; a line that starts with whitespace continues the entry above it (multi-line types). Several
goals are separated by blank lines and may start with ``case tag``.

Names Lean prints but a user cannot write are made writable: inaccessible names (``x✝``, ``h✝¹``) become fresh
names, consistently in every later type; ``inst✝ : C`` becomes the anonymous instance binder ``[C]``; ``this``
becomes ``this'``; a let-bound ``n : ℕ := v`` becomes ``(n : ℕ) (n_def : n = v)``.
"""

from __future__ import annotations

import re

from prover.errors import LeanSourceError
from prover.types import Frozen

_NAME_CHAR = re.compile(r"[\w'!?₀-₉ₐ-ₜᵢ-ᵪⱼ.]")


class Hypothesis(Frozen):
    names: tuple[str, ...]
    type: str
    value: str | None = None  # let-bound: `n : ℕ := 3`

    @property
    def is_instance(self) -> bool:
        return len(self.names) == 1 and self.names[0].startswith("inst✝")


class PrintedGoal(Frozen):
    case: str | None = None
    hypotheses: tuple[Hypothesis, ...] = ()
    target: str


def _split_top_colon(entry: str, marker: str) -> tuple[str, str] | None:
    """Split at the first ``marker`` outside brackets."""
    depth = 0
    i = 0
    while i < len(entry):
        c = entry[i]
        if c in "([{⟨⦃":
            depth += 1
        elif c in ")]}⟩⦄":
            depth -= 1
        elif depth == 0 and entry.startswith(marker, i):
            return entry[:i], entry[i + len(marker) :]
        i += 1
    return None


def _hypothesis(entry: str) -> Hypothesis:
    parts = _split_top_colon(entry, " : ")
    if parts is None:
        raise LeanSourceError(f"cannot read hypothesis {entry[:60]!r} (expected `name : type`)")
    names, rest = parts
    value_parts = _split_top_colon(rest, " := ")
    type_text, value = (value_parts[0], value_parts[1]) if value_parts is not None else (rest, None)
    return Hypothesis(
        names=tuple(names.split()), type=type_text.strip(), value=value.strip() if value else None
    )


def parse_goals(text: str) -> tuple[PrintedGoal, ...]:
    """Read the goals of a printed proof state; ``LeanSourceError`` when a goal has no ``⊢`` line."""
    goals: list[PrintedGoal] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        if not block.strip():
            continue
        entries: list[str] = []
        for line in block.split("\n"):
            if line[:1].isspace() and entries:
                entries[-1] += " " + line.strip()
            elif line.strip():
                entries.append(line.strip())
        case = None
        if entries and entries[0].startswith("case "):
            case = entries.pop(0)[len("case ") :].strip()
        targets = [i for i, entry in enumerate(entries) if entry.startswith("⊢")]
        if len(targets) != 1 or targets[0] != len(entries) - 1:
            raise LeanSourceError(f"a goal must end with exactly one `⊢` line: {block[:80]!r}")
        hypotheses = tuple(_hypothesis(entry) for entry in entries[:-1])
        goals.append(PrintedGoal(case=case, hypotheses=hypotheses, target=entries[-1][1:].strip()))
    if not goals:
        raise LeanSourceError("no goal to turn into a lemma")
    return tuple(goals)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _used_names(goal: PrintedGoal) -> set[str]:
    words = {goal.target, *(h.type for h in goal.hypotheses), *(h.value or "" for h in goal.hypotheses)}
    names = {n for h in goal.hypotheses for n in h.names}
    return names | {w for text in words for w in re.findall(r"[\w'₀-₉]+", text)}


def _renaming(goal: PrintedGoal) -> dict[str, str]:
    """Writable names for the inaccessible ones (``x✝¹`` → ``x_1``), fresh with respect to the whole goal."""
    used = _used_names(goal)
    renaming: dict[str, str] = {}
    for hypothesis in goal.hypotheses:
        for name in hypothesis.names:
            if "✝" not in name and name != "this":
                continue
            base = name.split("✝")[0] or "x"
            base = "h_this" if name == "this" else base
            counter = 1
            candidate = f"{base}_{counter}" if name != "this" else base
            while candidate in used:
                counter += 1
                candidate = f"{base}_{counter}"
            used.add(candidate)
            renaming[name] = candidate
    return renaming


def _rename(text: str, renaming: dict[str, str]) -> str:
    for old, new in sorted(renaming.items(), key=lambda item: -len(item[0])):
        text = re.sub(rf"(?<![\w.']){re.escape(old)}(?![\w'✝⁰¹²³⁴⁵⁶⁷⁸⁹])", new, text)
    return text


def lemma_of_goal(goal: PrintedGoal, name: str) -> str:
    renaming = _renaming(goal)
    binders: list[str] = []
    for hypothesis in goal.hypotheses:
        type_text = _collapse(_rename(hypothesis.type, renaming))
        if hypothesis.is_instance:
            binders.append(f"[{type_text}]")
            continue
        names = [renaming.get(n, n) for n in hypothesis.names]
        binders.append(f"({' '.join(names)} : {type_text})")
        if hypothesis.value is not None:
            value = _collapse(_rename(hypothesis.value, renaming))
            binders.extend(f"({n}_def : {n} = {value})" for n in names)
    target = _collapse(_rename(goal.target, renaming))
    signature = " ".join([f"theorem {name}", *binders])
    return f"{signature} : {target} := by sorry"


def goals_to_lemmas(goal_text: str, name: str) -> tuple[str, ...]:
    """One lemma per printed goal: ``name``, then ``name_2``, ``name_3``, ..."""
    goals = parse_goals(goal_text)
    return tuple(lemma_of_goal(goal, name if i == 0 else f"{name}_{i + 1}") for i, goal in enumerate(goals))


def goal_to_lemma(goal: str, name: str) -> str:
    """``x y : ℝ\\nh₀ : 0 < x\\n⊢ x + y = 2`` → ``theorem name (x y : ℝ) (h₀ : 0 < x) : x + y = 2 := by sorry``.

    Several goals give several lemmas separated by a blank line (see ``goals_to_lemmas``). Raises
    ``LeanSourceError`` when the text is not a printed goal.
    """
    if not _NAME_CHAR.match(name[:1] or " "):
        raise LeanSourceError(f"not a usable lemma name: {name!r}")
    return "\n\n".join(goals_to_lemmas(goal, name))
