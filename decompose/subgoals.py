"""Holes of a sketch → subgoals, from the goals Lean itself reported for each ``sorry``.

A sketch is the proof (the text after ``:=``) of a goal with ``sorry`` holes. Lean's ``sorries`` give, for each
hole, the goal as Lean elaborated it (types, coercions, every hypothesis in scope including earlier ``have``s);
the ``have`` text is only what the model wrote, so it is never used as the statement. Each distinct hole goal
(by ``Goal.key``) becomes one standalone lemma (``prover.lean.goals``) named ``<parent>_<have name>`` (or
``<parent>_hole_<i>``), fresh with respect to the header, the parent and the caller's reserved names.

At its site each hole is replaced by a use of its lemma, an application to the hypotheses in the order the lemma
binds them:
- accessible names (``this`` included) are passed by name;
- inaccessible names (``x✝``) cannot be written: a proposition is passed as ``(by assumption)``, a value as
  ``_`` (found by unification with the later hypotheses and the target);
- instance binders ``[C]`` are not passed (instance resolution finds them);
- a let-bound ``n : T := v`` binds ``(n : T) (n_def : n = v)``, so it gets ``n`` and ``rfl``.
A hole in tactic position becomes ``exact (NAME args)``, a hole in term position ``(NAME args)``.

"Assembly first" (Hilbert): before any subgoal is proved, the lemma statements ``:= by sorry`` followed by the
parent closed by ``main_proof`` must compile with no error and no ``sorry`` other than the lemmas' own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from prover.errors import LeanSourceError, ProverError
from prover.lean.goals import PrintedGoal, goals_to_lemmas, parse_goals
from prover.lean.lexer import tokenize
from prover.lean.text import LineIndex, parse_file
from prover.search.strategies.base import StrategyContext, goal_source
from prover.types import CheckResult, Frozen, Goal, Pos, SorryGoal, Verdict

HOLE = "sorry"
# A Prop-valued hypothesis mentions a relation or a connective; a data binder (`x : ℝ`, `f : ℕ → ℕ`) does not.
_PROP_MARKERS = re.compile(r"[=<>≤≥≠∣∧∨¬↔∈∉⊆⊂∀∃]|\bTrue\b|\bFalse\b|\bOdd\b|\bEven\b|\bPrime\b|\.Prime\b")
_DECLARED = re.compile(
    r"\b(?:theorem|lemma|def|abbrev|instance|structure|inductive|class|axiom|opaque|noncomputable def)"
    r"\s+([^\s:({\[]+)"
)
_HAVE_BEFORE = re.compile(
    r"\b(?:have|obtain)\s+([^\s:⟨(]+)\s*:(?:(?!\b(?:have|obtain|by)\b).)*?:=\s*(?:by\s*)?$", re.DOTALL
)
_LEMMA_SUFFIX = " := by sorry"


class SubgoalError(ProverError):
    """A hole cannot be turned into a subgoal (its goal does not read as a lemma, or it lies outside the proof).

    The machinery failed, not Lean: a strategy turns it into ``Failed``, never into a verdict.
    """


class HoleUse(Frozen):
    """One hole of the parent proof and the lemma that replaces it."""

    pos: Pos  # of the ``sorry`` in the parent proof text (1-based line, 0-based column)
    label: str  # the ``have`` name, or ``hole_<i>``
    lemma: str  # the subgoal's name
    replacement: str  # what stands at the hole in ``main_proof``


class HoleSplit(Frozen):
    """The subgoals of a sketch and the parent proof that cites them."""

    subgoals: tuple[Goal, ...]  # one per distinct hole goal, depth = parent.depth + 1
    main_proof: str  # the parent's proof with each hole replaced by a use of its lemma
    holes: tuple[HoleUse, ...] = ()


def declared_names(text: str) -> set[str]:
    """Names declared in ``text`` (theorem, lemma, def, ...), with and without their namespace prefix."""
    names: set[str] = set()
    for match in _DECLARED.finditer(text):
        name = match.group(1)
        names.add(name)
        names.add(name.rsplit(".", 1)[-1])
    return names


def _base_name(goal: Goal) -> str:
    return re.sub(r"[^\w']", "_", goal.name.rsplit(".", 1)[-1]) or "goal"


def _label_before(proof: str, offset: int) -> str | None:
    """The name of the ``have``/``obtain`` whose proof is the hole at ``offset``, if any."""
    window = proof[max(0, offset - 600) : offset]
    matches = list(_HAVE_BEFORE.finditer(window))
    found = matches[-1] if matches else None
    if found is None or found.end() != len(window):
        return None
    label = re.sub(r"[^\w']", "_", found.group(1))
    return label or None


def _in_tactic_position(proof: str, offset: int) -> bool:
    """Whether the ``sorry`` at ``offset`` is a tactic (after ``by``, a bullet, ``=>``, ``;`` or first on its line)."""
    before = proof[:offset]
    line_start = before.rfind("\n") + 1
    if not before[line_start:].strip() and line_start > 0:
        return True
    stripped = before.rstrip()
    return stripped.endswith(("by", "·", "=>", ";", "<;>", ".")) and not stripped.endswith(":=")


def _arguments(goal: PrintedGoal) -> list[str]:
    args: list[str] = []
    for hypothesis in goal.hypotheses:
        if hypothesis.is_instance:
            continue
        for name in hypothesis.names:
            if "✝" in name:
                args.append("(by assumption)" if _PROP_MARKERS.search(hypothesis.type) else "_")
            else:
                args.append(name)
        if hypothesis.value is not None:
            args.extend("rfl" for _ in hypothesis.names)
    return args


def _use(lemma: str, goal: PrintedGoal, *, tactic: bool) -> str:
    applied = " ".join([lemma, *_arguments(goal)])
    term = f"({applied})" if " " in applied else applied
    return f"exact {term}" if tactic else term


def _fresh(name: str, taken: set[str]) -> str:
    candidate = name
    counter = 1
    while candidate in taken:
        counter += 1
        candidate = f"{name}_{counter}"
    taken.add(candidate)
    return candidate


def _proof_offsets(goal: Goal, proof: str, pp_header: str) -> tuple[str, int]:
    """The checked source text and the offset at which ``proof`` starts in it."""
    checked_goal = goal.model_copy(
        update={"header": goal.header.rstrip() + "\n" + pp_header} if pp_header else {}
    )
    source = goal_source(checked_goal, proof)
    start = source.rfind(" := " + proof.strip())
    if start < 0:
        raise SubgoalError(f"{goal.name}: the proof is not in the checked text")
    return source, start + len(" := ")


def split_holes(
    goal: Goal,
    proof: str,
    check: CheckResult,
    *,
    reserved_names: Collection[str] = (),
    pp_header: str = "",
) -> HoleSplit:
    """Turn the holes of ``proof`` (``goal``'s proof, checked by Lean as ``check``) into lemmas.

    ``check`` is Lean's result for ``goal_source(goal, proof)``, or, with ``pp_header``, for the same text with
    ``pp_header`` (pretty-printer options) appended to the goal's header; positions are relative to that text.
    Raises ``SubgoalError`` when a hole's goal cannot be turned into a lemma, when a ``sorry`` Lean reports is
    not a ``sorry`` of the proof, or when the proof has no hole.
    """
    proof = proof.strip()
    source, proof_start = _proof_offsets(goal, proof, pp_header)
    index = LineIndex(source)
    proof_index = LineIndex(proof)
    hole_offsets = {t.start for t in tokenize(proof) if t.text == HOLE and not t.is_comment}
    taken = (
        declared_names(goal.header)
        | set(reserved_names)
        | set(goal.reserved_names)
        | {goal.name, goal.name.rsplit(".", 1)[-1]}
    )
    parent = _base_name(goal)
    by_key: dict[str, Goal] = {}
    uses: list[tuple[int, HoleUse]] = []
    ordered = sorted(check.sorries, key=lambda s: (s.pos.line, s.pos.column))
    if not ordered:
        raise SubgoalError(f"{goal.name}: Lean reported no hole in the sketch")
    for number, sorry in enumerate(ordered, start=1):
        offset = _offset(index, sorry) - proof_start
        if offset not in hole_offsets:
            raise SubgoalError(
                f"{goal.name}: Lean reported a sorry at {sorry.pos.line}:{sorry.pos.column} that is no hole "
                "of the proof"
            )
        try:
            printed = parse_goals(sorry.goal)
        except LeanSourceError as exc:
            raise SubgoalError(f"{goal.name}: hole {number}: {exc.message}") from exc
        if len(printed) != 1:
            raise SubgoalError(f"{goal.name}: hole {number} stands for {len(printed)} goals, expected one")
        label = _label_before(proof, offset) or f"hole_{number}"
        name = _fresh(f"{parent}_{label}", taken)
        try:
            (lemma,) = goals_to_lemmas(sorry.goal, name)
        except LeanSourceError as exc:
            raise SubgoalError(f"{goal.name}: hole {number}: {exc.message}") from exc
        statement = lemma.removesuffix(_LEMMA_SUFFIX)
        subgoal = Goal(
            name=name,
            statement=statement,
            header=goal.header,
            depth=goal.depth + 1,
            goal_text=sorry.goal,
            ancestors=(*goal.ancestors, goal.key),
            reserved_names=goal.reserved_names,
        )
        existing = by_key.get(subgoal.key)
        if existing is None:
            by_key[subgoal.key] = subgoal
        else:
            taken.discard(name)
            name = existing.name
        replacement = _use(name, printed[0], tactic=_in_tactic_position(proof, offset))
        uses.append(
            (offset, HoleUse(pos=proof_index.pos(offset), label=label, lemma=name, replacement=replacement))
        )
    main_proof = _replace(proof, uses)
    return HoleSplit(subgoals=tuple(by_key.values()), main_proof=main_proof, holes=tuple(u for _, u in uses))


def _offset(index: LineIndex, sorry: SorryGoal) -> int:
    try:
        return index.offset(sorry.pos)
    except ValueError as exc:
        raise SubgoalError(f"sorry position {sorry.pos.line}:{sorry.pos.column}: {exc}") from exc


def _replace(proof: str, uses: Sequence[tuple[int, HoleUse]]) -> str:
    pieces: list[str] = []
    cursor = 0
    for offset, use in sorted(uses, key=lambda item: item[0]):
        pieces.append(proof[cursor:offset])
        pieces.append(use.replacement)
        cursor = offset + len(HOLE)
    pieces.append(proof[cursor:])
    return "".join(pieces)


# ------------------------------------------------------------------------------------------ Lean checks
def lemma_source(subgoal: Goal) -> str:
    """``subgoal``'s statement ``:= by sorry`` in its header: does the statement elaborate?"""
    return goal_source(subgoal, "by sorry")


def assembly_source(goal: Goal, split: HoleSplit) -> str:
    """The lemma statements ``:= by sorry`` followed by the parent closed by ``main_proof``."""
    lemmas = "\n\n".join(f"{s.statement.rstrip()}{_LEMMA_SUFFIX}" for s in split.subgoals)
    header = goal.header.rstrip()
    parent = f"{goal.statement.rstrip()} := {split.main_proof.strip()}\n"
    parts = [part for part in (header, lemmas) if part]
    return "\n\n".join([*parts, parent])


def assembly_problems(goal: Goal, split: HoleSplit, check: CheckResult) -> tuple[str, ...]:
    """Why an assembly check failed (empty: accepted). Accepted iff no error and every sorry is a lemma's."""
    problems = [f"line {m.pos.line}: {m.text.splitlines()[0] if m.text else ''}" for m in check.errors]
    if check.verdict in (Verdict.timeout, Verdict.crash, Verdict.backend_error):
        problems.append(f"the check ended with {check.verdict.value}")
    source = assembly_source(goal, split)
    parent = parse_file(source).find(goal.name)
    if parent is not None:
        for sorry in check.sorries:
            offset = LineIndex(source).offset(sorry.pos) if sorry.pos.line >= 1 else -1
            if offset >= parent.span.start_offset:
                problems.append(f"line {sorry.pos.line}: a sorry in the assembled proof")
    if len(check.sorries) > len(split.subgoals):
        problems.append(f"{len(check.sorries)} sorries for {len(split.subgoals)} lemmas")
    return tuple(dict.fromkeys(problems))


async def check_assembly(goal: Goal, split: HoleSplit, ctx: StrategyContext) -> CheckResult:
    """Assembly first: the parent closed from its sorried lemmas, checked in one go.

    The result's verdict is ``sorry`` exactly when the assembly is accepted (no error, and the only sorries are
    the lemmas'), ``lean_error`` when it is not (or Lean's own timeout / crash verdict), with Lean's messages
    kept. Never ``valid``: the lemmas are still unproved.
    """
    result = await ctx.check(assembly_source(goal, split))
    if not assembly_problems(goal, split, result):
        return result.model_copy(update={"verdict": Verdict.sorry})
    if result.verdict in (Verdict.timeout, Verdict.crash, Verdict.backend_error):
        return result
    return result.model_copy(update={"verdict": Verdict.lean_error})


async def check_lemma_statements(split: HoleSplit, ctx: StrategyContext) -> list[CheckResult]:
    """One batch: each lemma statement ``:= by sorry`` must elaborate (no error)."""
    return await ctx.check_many([lemma_source(subgoal) for subgoal in split.subgoals])


def statement_problems(split: HoleSplit, results: Sequence[CheckResult]) -> tuple[str, ...]:
    """Why lemma statements do not elaborate (empty: all do), one line per failing lemma."""
    problems: list[str] = []
    for subgoal, result in zip(split.subgoals, results, strict=True):
        if result.errors:
            problems.append(f"{subgoal.name}: {result.errors[0].text.splitlines()[0]}")
        elif result.verdict in (Verdict.timeout, Verdict.crash, Verdict.backend_error):
            problems.append(f"{subgoal.name}: the check ended with {result.verdict.value}")
    return tuple(problems)
