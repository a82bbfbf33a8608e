"""Direct proving: the prover model writes k whole proofs; each is cleaned, scanned and checked in Lean.

Retrieved premises, when a retriever is configured, go into the prompt's header as a Lean comment (the
``whole_proof`` template has no premises field, and a comment cannot change what Lean checks).
"""

from __future__ import annotations

import logging
import time

from prover.llm.base import LLMRequest, Role
from prover.llm.prompts import load_prompt
from prover.search import candidate
from prover.search.strategies.base import Failed, Outcome, Proved, StrategyContext, goal_source
from prover.search.tree import AttemptRecord
from prover.types import Goal, Verdict

log = logging.getLogger(__name__)

NAME = "direct"
PROMPT = "whole_proof"


def premises_comment(ctx: StrategyContext, goal: Goal) -> str:
    """Up to ``retrieval.k`` premise signatures as a Lean comment, or "" without a retriever."""
    if ctx.retriever is None:
        return ""
    hits = ctx.retriever.search(goal.goal_text or goal.statement, k=ctx.settings.retrieval.k)
    if not hits:
        return ""
    lines = [f"-- {hit.premise.name}: {' '.join(hit.premise.signature.split())}" for hit in hits]
    return "-- Lemmas that may help:\n" + "\n".join(lines) + "\n"


class DirectProof:
    """k samples of a whole proof; the first that Lean accepts wins."""

    def __init__(self, *, samples: int | None = None) -> None:
        self._samples = samples

    @property
    def name(self) -> str:
        return NAME

    @property
    def stage(self) -> int:
        return 1

    @property
    def cost(self) -> float:
        return 2.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        del goal
        return ctx.model(Role.prover) is not None and self._k(ctx) > 0

    def _k(self, ctx: StrategyContext) -> int:
        return self._samples if self._samples is not None else ctx.settings.search.direct_samples

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        model = ctx.model(Role.prover)
        assert model is not None  # applicable() said so
        response = await ctx.generate(model, self._request(goal, ctx))
        attempts: list[AttemptRecord] = []
        allow_native = ctx.settings.lean.allow_native_decide
        for choice in response.choices:
            if choice.truncated:
                attempts.append(ctx.record(goal, NAME, choice.text, None, note="answer truncated (length)"))
                continue
            cleaned = candidate.whole_proof(choice.text, goal, allow_native_decide=allow_native)
            match cleaned:
                case candidate.Rejected(reason=reason):
                    attempts.append(ctx.record(goal, NAME, "", None, note=f"rejected: {reason}"))
                case candidate.Candidate(proof=proof):
                    started = time.perf_counter()
                    result = await ctx.check(goal_source(goal, proof))
                    record = ctx.record(
                        goal,
                        NAME,
                        proof,
                        result.verdict,
                        messages=result.errors,
                        elapsed_s=time.perf_counter() - started,
                    )
                    attempts.append(record)
                    if result.verdict is Verdict.valid:
                        return Proved(proof=proof, attempts=tuple(attempts))
        return Failed(
            reason=f"no valid proof among {len(response.choices)} samples", attempts=tuple(attempts)
        )

    def _request(self, goal: Goal, ctx: StrategyContext) -> LLMRequest:
        template = load_prompt(PROMPT)
        role = ctx.settings.llm.prover
        header = goal.header.rstrip() + "\n" + premises_comment(ctx, goal)
        request = template.request(
            endpoint=role.endpoint, header=header, formal_statement=f"{goal.statement.rstrip()} := by\n"
        )
        return request.model_copy(update={"n": self._k(ctx)})
