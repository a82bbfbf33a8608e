"""Step search: best-first over REPL proof states, one tactic at a time.

The initial state is the ``sorry`` of ``goal := by sorry`` checked in command mode. Candidates for a state
are the step model's tactics (scored by their log-probabilities) plus the configured closing tactics (a fixed
prior). States are deduplicated by their goal texts; expansions and depth are capped. A tactic-mode success is
never final: the tactic sequence is rebuilt into proof text and rechecked in command mode.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time

from prover.lean.backend import CAP_SORRY_STATES, CAP_TACTICS
from prover.llm.base import Role
from prover.llm.prompts import load_prompt
from prover.search import candidate
from prover.search.strategies.base import Failed, Outcome, Proved, StrategyContext, goal_source
from prover.search.tree import AttemptRecord
from prover.types import Goal, StateRef, StepStatus, Verdict

log = logging.getLogger(__name__)

NAME = "step"
PROMPT = "next_tactic"
SYMBOLIC_PRIOR = -2.0  # log-prob given to the configured closing tactics (below a confident model tactic)
DEPTH_PENALTY = 0.1


def rebuild_proof(tactics: tuple[str, ...]) -> str:
    """The command-mode proof text (after ``:=``) that runs ``tactics`` in order."""
    return "by\n" + "\n".join(f"  {t}" for t in tactics)


class StepSearch:
    def __init__(self, *, max_expansions: int | None = None, max_depth: int | None = None) -> None:
        self._max_expansions = max_expansions
        self._max_depth = max_depth

    @property
    def name(self) -> str:
        return NAME

    @property
    def stage(self) -> int:
        return 1

    @property
    def cost(self) -> float:
        return 3.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        del goal
        capabilities = ctx.lean.backend.capabilities
        return CAP_TACTICS in capabilities and CAP_SORRY_STATES in capabilities and self._limit(ctx) > 0

    def _limit(self, ctx: StrategyContext) -> int:
        return (
            self._max_expansions
            if self._max_expansions is not None
            else ctx.settings.search.step_max_expansions
        )

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        attempts: list[AttemptRecord] = []
        initial = await ctx.check(goal_source(goal, "by\n  sorry"))
        if (
            initial.verdict is not Verdict.sorry
            or len(initial.sorries) != 1
            or initial.sorries[0].state is None
        ):
            note = f"no initial proof state ({initial.verdict.value})"
            attempts.append(
                ctx.record(goal, NAME, "by\n  sorry", initial.verdict, messages=initial.errors, note=note)
            )
            return Failed(reason=note, attempts=tuple(attempts))
        root = initial.sorries[0]
        assert root.state is not None
        max_depth = self._max_depth if self._max_depth is not None else ctx.settings.search.step_max_depth
        order = itertools.count()
        # (score, order, state, goals, tactics so far); lower score first
        frontier: list[tuple[float, int, StateRef, tuple[str, ...], tuple[str, ...]]] = [
            (0.0, next(order), root.state, (root.goal,), ())
        ]
        seen: set[tuple[str, ...]] = {(root.goal,)}
        expansions = 0
        while frontier and expansions < self._limit(ctx):
            score, _, state, goals, tactics = heapq.heappop(frontier)
            expansions += 1
            for tactic, logprob in await self._candidates(goal, goals, ctx, attempts):
                started = time.perf_counter()
                step = await ctx.run_tactic(state, tactic)
                sequence = (*tactics, tactic)
                match step.status:
                    case StepStatus.proved:
                        proof = rebuild_proof(sequence)
                        recheck = await ctx.check(goal_source(goal, proof))
                        elapsed = time.perf_counter() - started
                        if recheck.verdict is Verdict.valid:
                            attempts.append(ctx.record(goal, NAME, proof, recheck.verdict, elapsed_s=elapsed))
                            return Proved(proof=proof, attempts=tuple(attempts))
                        note = "tactic mode closed the goal but the command-mode recheck did not accept it"
                        attempts.append(
                            ctx.record(
                                goal,
                                NAME,
                                proof,
                                recheck.verdict,
                                messages=recheck.errors,
                                elapsed_s=elapsed,
                                note=note,
                            )
                        )
                    case StepStatus.open:
                        key = tuple(step.goals)
                        if step.state is None or key in seen or len(sequence) >= max_depth:
                            continue
                        seen.add(key)
                        priority = score - logprob + DEPTH_PENALTY
                        heapq.heappush(frontier, (priority, next(order), step.state, key, sequence))
                    case StepStatus.error | StepStatus.timeout | StepStatus.crash:
                        continue
        reason = f"no proof after {expansions} expansions ({len(seen)} states)"
        attempts.append(ctx.record(goal, NAME, "", None, note=reason))
        return Failed(reason=reason, attempts=tuple(attempts))

    async def _candidates(
        self, goal: Goal, goals: tuple[str, ...], ctx: StrategyContext, attempts: list[AttemptRecord]
    ) -> list[tuple[str, float]]:
        """Model tactics (best log-prob first), then the closing tactics; each tactic once."""
        scored: dict[str, float] = {}
        model = ctx.model(Role.step)
        if model is not None:
            role = ctx.settings.llm.step
            premises = ""
            if ctx.retriever is not None:
                hits = ctx.retriever.search(goals[0], k=ctx.settings.retrieval.k)
                premises = "\n".join(
                    f"{h.premise.name}: {' '.join(h.premise.signature.split())}" for h in hits
                )
            request = load_prompt(PROMPT).request(
                endpoint=role.endpoint, goal="\n\n".join(goals), premises=premises
            )
            response = await ctx.generate(model, request)
            for choice in response.choices:
                cleaned = candidate.tactic(
                    choice.text, allow_native_decide=ctx.settings.lean.allow_native_decide
                )
                match cleaned:
                    case candidate.Rejected(reason=reason):
                        attempts.append(ctx.record(goal, NAME, "", None, note=f"rejected tactic: {reason}"))
                    case candidate.Candidate(proof=tactic):
                        logprob = choice.logprob if choice.logprob is not None else 0.0
                        scored[tactic] = max(scored.get(tactic, logprob), logprob)
        for tactic in ctx.settings.search.cascade_tactics:
            scored.setdefault(tactic, SYMBOLIC_PRIOR)
        return sorted(scored.items(), key=lambda item: -item[1])
