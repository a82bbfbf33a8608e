"""The repair strategy: work from attempts Lean rejected, cheapest stage first, under the goal's budget.

Stage 2 (after the cascade, direct and step search have recorded their failures on the goal; the scheduler hands
them over as ``StrategyContext.rejected``). For each rejected attempt, most promising first (``ranking``), up
to ``repair.max_attempts``:

1. normalise the proof (Lean 3 slips, ``rw x``, …) and recheck when anything changed;
   replace unknown identifiers with the real names nearest to them (``Retriever.lookup_name``), one batch;
2. tool correction: a failing automation tactic is replaced in place, one batch per site, by Z3's hints for the
   goal that tactic had to close (``local_goal``: the goal Lean printed with the error, else the stated type of
   the enclosing ``have``), then Z3's hints for the whole goal, the tactic's partner, and
   ``repair.tool_alternatives``;
3. cut what fails, keep what works (``cut``), rechecking until Lean reports only sorries;
4. holes become subgoals (``decompose.subgoals.split_holes``; the assembly is checked first) → ``Decomposed``;
   the children get the whole search (cascade, direct, step, decomposition) with their own budgets;
5. LLM repair with Lean's feedback (``repair`` prompt, model role ``repair.model``), ``repair.rounds`` rounds,
   each answer through the candidate gate and the statement rule (``answers``) before Lean;
6. a rejected LLM repair is repaired again from stage 1, up to ``repair.max_depth`` levels.

Every check is recorded as an attempt of strategy ``repair`` whose note names the stage (and the model). Only
a proof Lean accepted whole is ``Proved``; the final proof is certified like any other by the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from decompose.subgoals import SubgoalError, check_assembly, split_holes
from prover.errors import BudgetExhausted
from prover.lean.normalize import normalize_syntax
from prover.llm.base import Role
from prover.search.candidate import Rejected
from prover.search.premises import premises_for
from prover.search.strategies.base import Decomposed, Failed, Outcome, Proved, StrategyContext, goal_source
from prover.search.tree import AttemptRecord, Decomposition
from prover.types import CheckResult, Goal, Message, Severity, SmtStatus, SorryGoal, Verdict
from repair.answers import repaired_proof
from repair.cut import cut_failures, top_level_steps
from repair.feedback import repair_request
from repair.local_goal import enclosing_statement, statement_for_target, statement_from_message
from repair.names import name_fixes, unknown_names
from repair.ranking import rank, repairable
from repair.tools import ToolSite, allowed_tactics, failing_sites, partner_tactics, tool_variants

log = logging.getLogger(__name__)

NAME = "repair"
MAX_CUT_ROUNDS = 8
MAX_TOOL_SITES = 2
MAX_LOCAL_Z3 = (
    4  # Z3 queries on local goals per repaired attempt (repeated statements are answered from a cache)
)


def _errors(result: CheckResult) -> tuple[Message, ...]:
    return tuple(m for m in result.messages if m.severity is Severity.error)


def _badness(result: CheckResult) -> int:
    """Fewer is better: error count, a timeout counting as many errors."""
    return 1000 if result.verdict is Verdict.timeout else len(_errors(result))


def proof_in(goal: Goal, source: str) -> str | None:
    """The proof (text after ``:=``) in ``goal_source(goal, proof)`` after edits; None when an edit reached the
    header or the statement (repair never changes those)."""
    prefix = goal_source(goal, "X")[: -len("X\n")]
    return source[len(prefix) :].strip() if source.startswith(prefix) else None


def kept_steps(goal: Goal, proof: str) -> int:
    """Top-level steps of a sketch that are not a bare ``sorry`` (what a split into subgoals would keep)."""
    source = goal_source(goal, proof)
    return sum(
        1 for step in top_level_steps(source, goal.name) if source[step.start : step.end].strip() != "sorry"
    )


@dataclass
class _Run:
    """One run of the strategy on one goal: the records it made and the context it charges."""

    goal: Goal
    ctx: StrategyContext
    attempts: list[AttemptRecord] = field(default_factory=list)
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Z3's hints per statement asked
    local_queries: int = 0  # Z3 queries on local goals for the attempt being repaired (``MAX_LOCAL_Z3``)

    @property
    def role(self) -> Role:
        return Role(self.ctx.settings.repair.model)

    async def check(self, proof: str, stage: str, note: str = "") -> CheckResult:
        started = time.perf_counter()
        result = await self.ctx.check(goal_source(self.goal, proof))
        self._record(proof, result, stage, note, time.perf_counter() - started)
        return result

    async def check_batch(self, proofs: Sequence[str], stage: str, notes: Sequence[str]) -> list[CheckResult]:
        started = time.perf_counter()
        results = await self.ctx.check_many([goal_source(self.goal, p) for p in proofs])
        elapsed = (time.perf_counter() - started) / max(1, len(proofs))
        for proof, result, note in zip(proofs, results, notes, strict=True):
            self._record(proof, result, stage, note, elapsed)
        return results

    def _record(self, proof: str, result: CheckResult, stage: str, note: str, elapsed: float) -> None:
        label = f"{stage}: {note}" if note else stage
        self.attempts.append(
            self.ctx.record(
                self.goal,
                NAME,
                proof,
                result.verdict,
                messages=_errors(result),
                elapsed_s=elapsed,
                note=label,
            )
        )

    def proved(self, proof: str) -> Proved:
        return Proved(proof=proof, attempts=tuple(self.attempts))

    # --------------------------------------------------------------------------------- the stages
    async def repair(self, proof: str, result: CheckResult, depth: int) -> Proved | Decomposed | None:
        settings = self.ctx.settings
        proof, result = await self.normalise(proof, result)
        if result.verdict is Verdict.valid:
            return self.proved(proof)
        proof, result = await self.fix_names(proof, result)
        if result.verdict is Verdict.valid:
            return self.proved(proof)
        proof, result = await self.correct_tools(proof, result)
        if result.verdict is Verdict.valid:
            return self.proved(proof)
        sketch = await self.cut(proof, result)
        if sketch is not None and settings.repair.subgoals and self.goal.depth < settings.search.max_depth:
            split = await self.split(*sketch)
            if split is not None:
                return split
        holes = sketch[1].sorries if sketch is not None else ()
        return await self.ask_model(proof, result, holes, depth)

    async def normalise(self, proof: str, result: CheckResult) -> tuple[str, CheckResult]:
        source = goal_source(self.goal, proof)
        normalised = normalize_syntax(source)
        if normalised == source:
            return proof, result
        new_proof = proof_in(self.goal, normalised)
        if new_proof is None:
            return proof, result
        new_result = await self.check(new_proof, "normalise")
        return (new_proof, new_result) if _badness(new_result) <= _badness(result) else (proof, result)

    async def fix_names(self, proof: str, result: CheckResult) -> tuple[str, CheckResult]:
        retriever = self.ctx.retriever
        if retriever is None or not unknown_names(_errors(result)):
            return proof, result
        source = goal_source(self.goal, proof)

        def lookup(name: str) -> list[str]:
            return [hit.premise.name for hit in retriever.lookup_name(name, k=3)]

        fixes = []
        for fix in name_fixes(source, _errors(result), lookup):
            fixed = proof_in(self.goal, fix.text)
            if fixed is not None:  # None: the name stood in the statement, not repair's to change
                fixes.append((fixed, fix.note))
        if not fixes:
            return proof, result
        results = await self.check_batch([p for p, _ in fixes], "names", [n for _, n in fixes])
        return self._best(proof, result, [(p, r) for (p, _), r in zip(fixes, results, strict=True)])

    async def correct_tools(self, proof: str, result: CheckResult) -> tuple[str, CheckResult]:
        shift = 0  # sites are read from the input text; a replacement at an earlier site moves the later ones
        for found in failing_sites(goal_source(self.goal, proof), _errors(result))[:MAX_TOOL_SITES]:
            site = found.model_copy(update={"start": found.start + shift, "end": found.end + shift})
            before = len(proof)
            local = await self.local_hints(goal_source(self.goal, proof), site, result)
            tactics = allowed_tactics(
                [
                    *local,
                    *await self.z3_hints(self.goal.statement),
                    *partner_tactics(site),
                    *self.ctx.settings.repair.tool_alternatives,
                ],
                allow_native_decide=self.ctx.settings.lean.allow_native_decide,
            )
            variants = []
            for variant in tool_variants(goal_source(self.goal, proof), site, tactics):
                replaced = proof_in(self.goal, variant.text)
                if replaced is not None:
                    variants.append((replaced, f"{site.tactic} -> {variant.tactic}"))
            if not variants:
                continue
            results = await self.check_batch([p for p, _ in variants], "tools", [n for _, n in variants])
            proof, result = self._best(
                proof, result, [(p, r) for (p, _), r in zip(variants, results, strict=True)]
            )
            if result.verdict is Verdict.valid:
                break
            shift += len(proof) - before
        return proof, result

    async def local_hints(self, source: str, site: ToolSite, result: CheckResult) -> tuple[str, ...]:
        """Z3's hints for the goal the failing tactic had to close; () when it cannot be read or the
        attempt's local queries are spent."""
        statement = None
        if site.message is not None:
            statement = statement_from_message(site.message)
        if statement is None:
            target = enclosing_statement(source, site.start)
            if target is not None and site.message is not None:
                before = (site.message.pos.line, site.message.pos.column)
                statement = statement_for_target(
                    target, theorem=self.goal.statement, sorries=result.sorries, before=before
                )
        if statement is None or statement == self.goal.statement:
            return ()
        if statement not in self.hints:
            if self.local_queries >= MAX_LOCAL_Z3:
                return ()
            self.local_queries += 1
        return await self.z3_hints(statement)

    async def z3_hints(self, statement: str) -> tuple[str, ...]:
        """Z3's closing tactics for ``statement`` when Z3 finds it valid (or vacuous); asked once per run."""
        if statement in self.hints:
            return self.hints[statement]
        hints: tuple[str, ...] = ()
        smt = self.ctx.smt
        if smt is not None and self.ctx.settings.smt.enabled:
            try:
                verdict = await smt.decide_statement(statement)
            except TimeoutError:
                log.debug("Z3 gave no hints for %s in time", statement[:80])
            else:
                if verdict.status in (SmtStatus.valid, SmtStatus.vacuous):
                    hints = verdict.hints
        self.hints[statement] = hints
        return hints

    async def cut(self, proof: str, result: CheckResult) -> tuple[str, CheckResult] | None:
        """Cut failing steps until Lean reports no error; the sketch and its check, or None."""
        if not _errors(result):
            return None
        seen = {proof}
        for _ in range(MAX_CUT_ROUNDS):
            cut = cut_failures(goal_source(self.goal, proof), _errors(result))
            if not cut.changed:
                return None
            cut_proof = proof_in(self.goal, cut.text)
            if cut_proof is None or cut_proof in seen:
                return None
            proof = cut_proof
            seen.add(proof)
            note = ", ".join(f"{e.kind.value} line {e.line}" for e in cut.edits)
            result = await self.check(proof, "cut", note)
            if not _errors(result) and result.verdict in (Verdict.sorry, Verdict.valid):
                return proof, result
            if result.verdict in (Verdict.timeout, Verdict.crash, Verdict.backend_error):
                return None
        return None

    async def split(self, sketch: str, check: CheckResult) -> Decomposed | None:
        if kept_steps(self.goal, sketch) == 0 or not check.sorries:
            return None  # nothing kept: the only hole would be the goal itself
        try:
            split = split_holes(self.goal, sketch, check)
        except SubgoalError as exc:
            log.debug("repair of %s: holes do not split: %s", self.goal.name, exc)
            return None
        lineage = {self.goal.key, *self.goal.ancestors}
        if any(subgoal.key in lineage for subgoal in split.subgoals):
            return None  # a hole that is the goal again (or an ancestor) is no progress
        started = time.perf_counter()
        assembly = await check_assembly(self.goal, split, self.ctx)
        # Accepted: no error, and the only sorries are the lemmas' (``sorry``; ``valid`` in older versions).
        accepted = assembly.verdict in (Verdict.sorry, Verdict.valid) and not _errors(assembly)
        note = f"assembly of {len(split.subgoals)} subgoal(s) from the kept steps"
        self.attempts.append(
            self.ctx.record(
                self.goal,
                NAME,
                split.main_proof,
                Verdict.sorry if accepted else assembly.verdict,
                messages=_errors(assembly),
                elapsed_s=time.perf_counter() - started,
                note=f"subgoals: {note}",
            )
        )
        if not accepted:
            return None
        decomposition = Decomposition(
            strategy=NAME, subgoals=split.subgoals, main_proof=split.main_proof, note=note
        )
        return Decomposed(decomposition=decomposition, attempts=tuple(self.attempts))

    async def ask_model(
        self, proof: str, result: CheckResult, holes: Sequence[SorryGoal], depth: int
    ) -> Proved | Decomposed | None:
        settings = self.ctx.settings
        model = self.ctx.model(self.role)
        if model is None or settings.repair.rounds <= 0:
            return None
        premises = await premises_for(self.goal, self.ctx, k=settings.repair.premises_k)
        real_names = self.real_names(_errors(result))
        role_settings = settings.llm.reasoner if self.role is Role.reasoner else settings.llm.prover
        best: tuple[str, CheckResult] | None = None
        current = (proof, result)
        for _ in range(settings.repair.rounds):
            request = repair_request(
                endpoint=role_settings.endpoint,
                code=goal_source(self.goal, current[0]),
                errors=_errors(current[1]),
                holes=holes if current[0] == proof else (),
                real_names=real_names,
                premises=premises,
            )
            response = await self.ctx.generate(model, request)
            round_best: tuple[str, CheckResult] | None = None
            for choice in response.choices:
                stage = f"llm (model: {self.role.value}, depth {depth})"
                if choice.truncated:
                    self.attempts.append(
                        self.ctx.record(self.goal, NAME, "", None, note=f"{stage}: truncated")
                    )
                    continue
                cleaned = repaired_proof(
                    choice.text, self.goal, allow_native_decide=settings.lean.allow_native_decide
                )
                if isinstance(cleaned, Rejected):
                    self.attempts.append(
                        self.ctx.record(
                            self.goal, NAME, "", None, note=f"{stage}: rejected: {cleaned.reason}"
                        )
                    )
                    continue
                checked = await self.check(cleaned.proof, stage)
                if checked.verdict is Verdict.valid:
                    return self.proved(cleaned.proof)
                if round_best is None or _badness(checked) < _badness(round_best[1]):
                    round_best = (cleaned.proof, checked)
            if round_best is None:
                continue
            current = round_best  # the next round sees Lean's verdict on this answer (self-correction)
            if best is None or _badness(round_best[1]) <= _badness(best[1]):
                best = round_best
        if best is None or depth >= settings.repair.max_depth or best[0] == proof:
            return None
        return await self.repair(best[0], best[1], depth + 1)

    def real_names(self, errors: Sequence[Message]) -> dict[str, list[str]]:
        retriever = self.ctx.retriever
        if retriever is None:
            return {}
        return {
            name: [h.premise.name for h in retriever.lookup_name(name, k=3)] for name in unknown_names(errors)
        }

    def _best(
        self, proof: str, result: CheckResult, tried: Sequence[tuple[str, CheckResult]]
    ) -> tuple[str, CheckResult]:
        """A valid variant if any, else the first that has fewer errors than ``result``, else the input."""
        for variant, checked in tried:
            if checked.verdict is Verdict.valid:
                return variant, checked
        for variant, checked in tried:
            if checked.verdict is Verdict.lean_error and _badness(checked) < _badness(result):
                return variant, checked
        return proof, result


class Repair:
    """Repair of rejected attempts (see the module docstring). Stage 2, after cascade, direct and step search."""

    @property
    def name(self) -> str:
        return NAME

    @property
    def stage(self) -> int:
        return 2

    @property
    def cost(self) -> float:
        return 1.5

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        del goal
        settings = ctx.settings.repair
        return settings.enabled and settings.max_attempts > 0 and bool(repairable(ctx.rejected))

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        run = _Run(goal=goal, ctx=ctx)
        chosen = rank(goal, ctx.rejected)[: ctx.settings.repair.max_attempts]
        try:
            for record in chosen:
                run.local_queries = 0
                attempt = record.attempt
                result = CheckResult(verdict=attempt.verdict or Verdict.lean_error, messages=attempt.messages)
                outcome = await run.repair(attempt.proof.strip(), result, depth=1)
                if outcome is not None:
                    return outcome
        except BudgetExhausted as exc:
            return Failed(reason=f"budget exhausted: {exc.resource or exc}", attempts=tuple(run.attempts))
        return Failed(
            reason=f"no repair of {len(chosen)} rejected attempt(s) worked", attempts=tuple(run.attempts)
        )
