"""The decomposition strategy: informal draft → compile-checked Lean sketch → subgoals from Lean's own goals.

One run on one goal:

1. **Judge** (subgoals only): a subgoal reaches this stage-2 strategy after its cheaper strategies failed; the
   reasoner may judge it (``subgoal_judge``, Hilbert's YES/NO). A NO stops decomposing it (it fails, so its
   AND node fails and the parent's next sketch is wanted); a judgment never counts as a proof.
2. **Draft**: the problem's informal proof when it has one (``decompose.use_dataset_informal_proof``), else
   the reasoner's numbered steps (``informal_draft``).
3. **Sketch**: ``decompose.sketches`` answers per round (one request, ``n = k``) from ``lean_sketch`` with
   retrieved premises, or from ``sketch_refinement`` with what went wrong in the previous round.
4. **Check** every sketch of a round concurrently: ``decompose.sketch.clean_sketch`` (extraction, normaliser,
   forbidden scan, statement guard), then Lean with its holes and the pp options. A sketch is accepted only
   when its holes are its only problems; otherwise DSP+ masking (``mask_step``), then an LLM correction fed
   with Lean's messages and, for unknown identifiers, real names, up to ``decompose.sketch_corrections``.
5. **Subgoals** from the goals Lean reported for the holes (``decompose.subgoals.split_holes``); a hole equal
   to the goal or one of its ancestors is no progress (rejected). **Z3** decides each subgoal first: a
   confirmed counterexample rejects the sketch and its step, hypotheses and values go to the next round's
   refinement prompt (``decompose.refinements`` rounds). Then one batch checks that the lemma statements
   elaborate, and **assembly first** checks that the parent closes from its sorried lemmas.
6. The first sketch that passes returns ``Decomposed``: the scheduler proves its subgoals concurrently with
   every strategy (this one included, within ``decompose.max_depth``), and cancels the siblings when one fails.

Output shape: the proved subgoals stand as lemmas before their theorem (Hilbert's shape), emitted by
``prover.search.assemble``; the theorem's proof is the sketch with each hole replaced by a use of its lemma.
Every attempt record's ``note`` starts with its kind (``draft:``, ``sketch r.i:``, ``assembly:``,
``refinement:``, ``judge:``), which ``prover show`` renders.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from decompose.sketch import (
    Sketch,
    SketchRejected,
    clean_sketch,
    hole_count,
    pp_header,
    proof_in,
    with_header,
)
from decompose.subgoals import (
    HoleSplit,
    SubgoalError,
    check_assembly,
    check_lemma_statements,
    split_holes,
    statement_problems,
)
from prover.errors import SmtError
from prover.lean.failure_kinds import primary_kind
from prover.lean.masking import MaskResult, mask_step
from prover.llm.base import LLMRequest, Role
from prover.llm.prompts import load_prompt
from prover.search.premises import premises_for
from prover.search.strategies.base import (
    Decomposed,
    Failed,
    FailedSplit,
    Outcome,
    Proved,
    StrategyContext,
    goal_source,
)
from prover.search.tree import AttemptRecord, Decomposition
from prover.types import CheckResult, Goal, Message, SmtStatus, Verdict
from retrieval.names import names_in_error

log = logging.getLogger(__name__)

NAME = "decompose"
MASK_ROUNDS = 4  # masking rounds per correction round (each is one Lean check)
_MACHINE_VERDICTS = (Verdict.timeout, Verdict.crash, Verdict.backend_error)


@dataclass(frozen=True)
class _Accepted:
    sketch: str
    split: HoleSplit
    label: str


@dataclass(frozen=True)
class _ProvedOutright:
    proof: str


@dataclass(frozen=True)
class _Failure:
    reason: str
    sketch: str = ""
    feedback: str = ""  # what the refinement prompt is told
    refuted: bool = False  # a step Z3 refuted (the most useful feedback)


_SketchResult = _Accepted | _ProvedOutright | _Failure


class Decompose:
    """Draft → sketch → subgoals (an AND node), for goals above ``decompose.max_depth`` with a reasoner."""

    @property
    def name(self) -> str:
        return NAME

    @property
    def stage(self) -> int:
        return 2

    @property
    def cost(self) -> float:
        return 4.0

    @property
    def refines_failed_splits(self) -> bool:
        """When one of its AND nodes fails (a subgoal refuted, judged false or unprovable), the scheduler runs
        it again on the goal, which then starts from a refinement of the failed sketch."""
        return True

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        settings = ctx.settings.decompose
        if not settings.enabled or ctx.model(Role.reasoner) is None or goal.depth >= settings.max_depth:
            return False
        return len(_own_failed_splits(ctx)) <= settings.refinements

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        return await _Run(goal, ctx).execute()


def _own_failed_splits(ctx: StrategyContext) -> list[FailedSplit]:
    return [split for split in ctx.failed_splits if split.decomposition.strategy == NAME]


class _Run:
    """The state of one decomposition run: what was recorded, and the checks' shared settings."""

    def __init__(self, goal: Goal, ctx: StrategyContext) -> None:
        self.goal = goal
        self.ctx = ctx
        self.settings = ctx.settings.decompose
        self.attempts: list[AttemptRecord] = []
        self.pp = pp_header(ctx.settings.lean.profile)
        model = ctx.model(Role.reasoner)
        assert model is not None  # applicable() said so
        self.model = model
        self.endpoint = ctx.settings.llm.reasoner.endpoint

    def _note(
        self, proof: str, verdict: Verdict | None, note: str, messages: tuple[Message, ...] = ()
    ) -> None:
        self.attempts.append(self.ctx.record(self.goal, NAME, proof, verdict, messages=messages, note=note))

    async def _ask(self, request: LLMRequest) -> list[str]:
        response = await self.ctx.generate(self.model, request)
        return [choice.text for choice in response.choices if not choice.truncated]

    # --------------------------------------------------------------------------------------- driver
    async def execute(self) -> Outcome:
        if self.goal.ancestors and self.settings.judge:
            rejection = await self._judge()
            if rejection is not None:
                return Failed(reason=rejection, attempts=tuple(self.attempts))
        failed = _own_failed_splits(self.ctx)
        if failed:  # a sketch of ours was accepted, but its AND node failed: refine it
            draft = self.goal.informal_proof or "(the plan of the previous sketch)"
            premises = ""
            previous = failed[-1].decomposition.main_proof
            feedback = "the sketch was accepted but its subgoals could not all be proved: " + "; ".join(
                failed[-1].reasons or ("a subgoal failed",)
            )
            first_round = len(failed) + 1
        else:
            draft = await self._draft()
            premises = await self._premises()
            feedback = ""
            previous = ""
            first_round = 1
        reasons: list[str] = []
        for round_number in range(first_round, self.settings.refinements + 2):
            request = (
                self._sketch_request(draft, premises)
                if not feedback
                else self._refinement_request(draft, previous, feedback)
            )
            answers = await self._ask(request.model_copy(update={"n": self.settings.sketches}))
            if feedback:
                self._note(previous, None, f"refinement {round_number - 1}: {feedback}")
            result = await self._round(round_number, answers)
            match result:
                case _Accepted(sketch=sketch, split=split, label=label):
                    note = (
                        f"sketch {label}: {len(split.holes)} holes → {len(split.subgoals)} subgoals "
                        f"({', '.join(s.name for s in split.subgoals)}); assembly checked"
                    )
                    decomposition = Decomposition(
                        strategy=NAME, subgoals=split.subgoals, main_proof=split.main_proof, note=note
                    )
                    return Decomposed(decomposition=decomposition, attempts=tuple(self.attempts))
                case _ProvedOutright(proof=proof):
                    return Proved(proof=proof, attempts=tuple(self.attempts))
                case _Failure(reason=reason, sketch=sketch, feedback=text):
                    reasons.append(reason)
                    previous, feedback = sketch, text or reason
        return Failed(
            reason=f"no usable sketch in {self.settings.refinements + 1} rounds: {reasons[-1] if reasons else 'none'}",
            attempts=tuple(self.attempts),
        )

    async def _round(self, round_number: int, answers: list[str]) -> _SketchResult:
        """Check a round's sketches concurrently; the first accepted one wins and the others are cancelled."""
        if not answers:
            return _Failure(reason="the reasoner gave no complete answer")
        tasks = [
            asyncio.create_task(
                self._sketch(f"{round_number}.{i}", answer), name=f"sketch {round_number}.{i}"
            )
            for i, answer in enumerate(answers, start=1)
        ]
        failures: list[_Failure] = []
        try:
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=tasks.index):
                    result = task.result()  # BudgetExhausted and machinery errors propagate
                    if isinstance(result, _Failure):
                        failures.append(result)
                    else:
                        return result
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        failures.sort(key=lambda f: not f.refuted)  # a counterexample is the most useful feedback
        return failures[0]

    # --------------------------------------------------------------------------------------- steps
    async def _judge(self) -> str | None:
        """The reasoner's NO (with its reason) for a subgoal, or None for YES / no clear answer."""
        template = load_prompt("subgoal_judge")
        request = template.request(endpoint=self.endpoint, header=self.goal.header, goal=self.goal.statement)
        answers = await self._ask(request.model_copy(update={"n": 1}))
        answer = next((a for a in answers if a.strip()), "")
        lines = [line.strip() for line in answer.split("</think>")[-1].strip().splitlines() if line.strip()]
        verdict = lines[0].upper().strip("*.: ") if lines else ""
        self._note("", None, f"judge: {verdict or 'no answer'}")
        if verdict.startswith("NO"):
            why = " ".join(lines[1:])[:300]
            return f"the reasoner judged this subgoal false{': ' + why if why else ''}"
        return None

    async def _draft(self) -> str:
        if self.settings.use_dataset_informal_proof and self.goal.informal_proof:
            self._note(self.goal.informal_proof, None, "draft: the problem's informal proof")
            return self.goal.informal_proof
        template = load_prompt("informal_draft")
        informal = self.goal.goal_text or "Prove the formal statement below."
        request = template.request(
            endpoint=self.endpoint, informal_statement=informal, formal_statement=self._formal_statement()
        )
        answers = await self._ask(request.model_copy(update={"n": 1}))
        draft = answers[0].split("</think>")[-1].strip() if answers else ""
        self._note(draft, None, "draft: by the reasoner")
        return draft

    async def _premises(self) -> str:
        hits = await premises_for(self.goal, self.ctx, k=self.settings.premises_k)
        if not hits:
            return ""
        lines = [f"- {hit.premise.name} : {' '.join(hit.premise.signature.split())}" for hit in hits]
        return "\nMathlib lemmas that may help:\n" + "\n".join(lines) + "\n"

    def _formal_statement(self) -> str:
        return f"{self.goal.statement.rstrip()} := by"

    def _sketch_request(self, draft: str, premises: str) -> LLMRequest:
        return load_prompt("lean_sketch").request(
            endpoint=self.endpoint,
            header=self.goal.header.rstrip(),
            formal_statement=self._formal_statement(),
            informal_proof=draft,
            premises=premises,
        )

    def _refinement_request(self, draft: str, previous: str, feedback: str) -> LLMRequest:
        return load_prompt("sketch_refinement").request(
            endpoint=self.endpoint,
            header=self.goal.header.rstrip(),
            formal_statement=self._formal_statement(),
            informal_proof=draft,
            sketch=f"{self.goal.statement.rstrip()} := {previous}" if previous else "(none)",
            feedback=feedback,
        )

    # ------------------------------------------------------------------------------ one sketch
    def _clean(self, answer: str) -> Sketch | SketchRejected:
        return clean_sketch(
            answer,
            self.goal,
            allow_native_decide=self.ctx.settings.lean.allow_native_decide,
            long_proof_lines=self.settings.long_proof_lines,
        )

    async def _sketch(self, label: str, answer: str) -> _SketchResult:
        cleaned = self._clean(answer)
        if isinstance(cleaned, SketchRejected):
            self._note("", None, f"sketch {label}: rejected: {cleaned.reason}")
            return _Failure(reason=cleaned.reason)
        checked = await self._check_and_repair(label, cleaned.proof)
        if not isinstance(checked, tuple):
            return checked
        proof, result = checked
        return await self._subgoals(label, proof, result)

    async def _check(self, proof: str) -> tuple[str, CheckResult]:
        source = goal_source(with_header(self.goal, self.pp), proof)
        started = time.perf_counter()
        result = await self.ctx.check(source)
        return source, result.model_copy(update={"elapsed_s": time.perf_counter() - started})

    async def _check_and_repair(self, label: str, proof: str) -> tuple[str, CheckResult] | _SketchResult:
        """Check the sketch; mask, then correct it with the reasoner, until its holes are its only problems."""
        corrections = 0
        mask: MaskResult | None = None
        masks = 0
        while True:
            source, result = await self._check(proof)
            problems = result.errors
            if not problems and result.verdict not in _MACHINE_VERDICTS:
                if hole_count(proof) == 0:
                    if result.verdict is Verdict.valid:
                        self._note(proof, Verdict.valid, f"sketch {label}: no holes, accepted by Lean")
                        return _ProvedOutright(proof=proof)
                    return _Failure(reason="a sketch without holes that Lean did not accept", sketch=proof)
                return proof, result
            kind = primary_kind(result.verdict, problems)
            self._note(
                proof,
                result.verdict,
                f"sketch {label}: {len(problems)} error(s){f' ({kind.value})' if kind else ''}",
                messages=problems,
            )
            if result.verdict in _MACHINE_VERDICTS:
                return _Failure(reason=f"sketch check ended with {result.verdict.value}", sketch=proof)
            if masks < MASK_ROUNDS:
                mask = mask_step(source, problems, mask)
                masked = proof_in(mask.text, self.goal) if not mask.done else None
                body = masked.removeprefix("by").strip() if masked else ""
                if masked and masked != proof and body != "sorry":
                    masks += 1
                    edits = ", ".join(f"{e.action.value}@{e.line}" for e in mask.edits)
                    self._note(masked, None, f"sketch {label}: masked ({edits})")
                    proof = masked
                    continue
            if corrections >= self.settings.sketch_corrections:
                return _Failure(
                    reason=f"the sketch still fails after {corrections} correction(s): {problems[0].text[:200]}",
                    sketch=proof,
                )
            corrections += 1
            masks = 0
            mask = None
            answers = await self._ask(
                self._correction_request(source, proof, problems).model_copy(update={"n": 1})
            )
            if not answers:
                return _Failure(reason="the reasoner gave no correction", sketch=proof)
            cleaned = self._clean(answers[0])
            if isinstance(cleaned, SketchRejected):
                self._note("", None, f"sketch {label}: correction {corrections} rejected: {cleaned.reason}")
                return _Failure(reason=cleaned.reason, sketch=proof)
            self._note(cleaned.proof, None, f"sketch {label}: correction {corrections}")
            proof = cleaned.proof

    def _correction_request(self, source: str, proof: str, problems: tuple[Message, ...]) -> LLMRequest:
        lines = source.splitlines()
        blocks = []
        for message in problems[:8]:
            line = lines[message.pos.line - 1].strip() if 0 < message.pos.line <= len(lines) else ""
            blocks.append(f"- at `{line}`:\n  {' '.join(message.text.split())[:400]}")
        names = self._known_names(problems)
        return load_prompt("sketch_correction").request(
            endpoint=self.endpoint,
            header=self.goal.header.rstrip(),
            sketch=f"{self.goal.statement.rstrip()} := {proof}",
            errors="\n".join(blocks),
            names=names,
        )

    def _known_names(self, problems: tuple[Message, ...]) -> str:
        retriever = self.ctx.retriever
        if retriever is None:
            return ""
        lines = []
        for message in problems:
            for unknown in names_in_error(message.text):
                hits = retriever.lookup_name(unknown, k=3)
                if hits:
                    lines.append(
                        f"- `{unknown}` does not exist; real names: {', '.join(h.premise.name for h in hits)}"
                    )
        return (
            "\nUnknown identifiers and the nearest real Mathlib names:\n" + "\n".join(lines) + "\n"
            if lines
            else ""
        )

    async def _subgoals(self, label: str, proof: str, result: CheckResult) -> _SketchResult:
        try:
            split = split_holes(self.goal, proof, result, pp_header=self.pp)
        except SubgoalError as error:
            self._note(proof, result.verdict, f"sketch {label}: holes unusable: {error.message}")
            return _Failure(reason=error.message, sketch=proof)
        lineage = {self.goal.key, *self.goal.ancestors}
        looping = [s.name for s in split.subgoals if s.key in lineage]
        if looping:
            reason = f"hole {looping[0]} restates the goal or an ancestor: no progress"
            self._note(proof, result.verdict, f"sketch {label}: rejected: {reason}")
            return _Failure(reason=reason, sketch=proof)
        holes = ", ".join(f"{use.label} → {use.lemma}" for use in split.holes)
        self._note(proof, result.verdict, f"sketch {label}: accepted with holes ({holes})")
        refutation = await self._refute(split)
        if refutation is not None:
            self._note(proof, None, f"sketch {label}: {refutation}")
            return _Failure(reason=refutation, sketch=proof, feedback=refutation, refuted=True)
        statements = await check_lemma_statements(split, self.ctx)
        problems = statement_problems(split, statements)
        if problems:
            reason = "lemma statements do not elaborate: " + "; ".join(problems)
            self._note(proof, None, f"sketch {label}: {reason}")
            return _Failure(reason=reason, sketch=proof, feedback=reason)
        assembly = await check_assembly(self.goal, split, self.ctx)
        accepted = assembly.verdict is Verdict.sorry
        self._note(
            split.main_proof,
            assembly.verdict,
            f"assembly: {'accepted' if accepted else 'failed'} for sketch {label} ({len(split.subgoals)} lemmas)",
            messages=assembly.errors,
        )
        if not accepted:
            first = assembly.errors[0].text.splitlines()[0] if assembly.errors else assembly.verdict.value
            reason = f"the parent does not close from its lemmas: {first}"
            return _Failure(reason=reason, sketch=proof, feedback=reason)
        return _Accepted(sketch=proof, split=split, label=label)

    async def _refute(self, split: HoleSplit) -> str | None:
        """Z3 first: the first subgoal with a confirmed counterexample, described for the reasoner."""
        smt = self.ctx.smt
        if smt is None:
            return None
        for subgoal, use in ((s, next(u for u in split.holes if u.lemma == s.name)) for s in split.subgoals):
            try:
                decided = await smt.decide_statement(subgoal.statement)
            except (TimeoutError, SmtError) as error:  # Z3 is a filter: without it, Lean still decides
                log.info("%s: Z3 gave no answer on %s: %s", self.goal.name, subgoal.name, error)
                continue
            if decided.status is SmtStatus.refuted and decided.model:
                values = ", ".join(f"{name} = {value}" for name, value in sorted(decided.model.items()))
                return (
                    f"step `{use.label}` is false: Z3 found a counterexample, confirmed by exact evaluation: "
                    f"{values}. The step with its hypotheses, as Lean read it: {subgoal.statement}"
                )
        return None
