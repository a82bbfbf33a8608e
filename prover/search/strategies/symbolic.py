"""The symbolic cascade: Z3's verdict first, then closing tactics in batches through the Lean pool.

Z3 never proves anything here: a ``refuted`` verdict (a counterexample confirmed by exact evaluation) stops
the goal, ``valid``/``vacuous`` hints only reorder the candidates, and only Lean's command-mode verdict on
the full lemma closes it. Stage 0: it runs before any LLM strategy on the same goal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from prover.search.strategies.base import Failed, Outcome, Proved, Refuted, StrategyContext, goal_source
from prover.search.tree import AttemptRecord
from prover.types import Goal, SmtResult, SmtStatus, Verdict

log = logging.getLogger(__name__)

NAME = "symbolic"


def tactic_proof(tactic: str) -> str:
    """The proof text (after ``:=``) that runs one closing tactic."""
    return f"by\n  {tactic.strip()}"


def ordered_candidates(hints: Sequence[str], tactics: Sequence[str]) -> list[str]:
    """Z3's hints first, then the configured tactics, each once, in order."""
    seen: set[str] = set()
    ordered: list[str] = []
    for tactic in (*hints, *tactics):
        key = tactic.strip()
        if key and key not in seen:
            seen.add(key)
            ordered.append(key)
    return ordered


class SymbolicCascade:
    """Z3 verdict, then the first closing tactic Lean accepts."""

    def __init__(self, *, tactics: Sequence[str] | None = None, batch_size: int | None = None) -> None:
        self._tactics = tuple(tactics) if tactics is not None else None
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        return NAME

    @property
    def stage(self) -> int:
        return 0

    @property
    def cost(self) -> float:
        return 0.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        del goal
        tactics = self._tactics if self._tactics is not None else ctx.settings.search.cascade_tactics
        return bool(tactics) or ctx.smt is not None

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        attempts: list[AttemptRecord] = []
        hints: tuple[str, ...] = ()
        if ctx.smt is not None and ctx.settings.smt.enabled:
            verdict = await self._decide(goal, ctx)
            match verdict.status:
                case SmtStatus.refuted:
                    model = ", ".join(f"{k} = {v}" for k, v in sorted((verdict.model or {}).items()))
                    reason = f"Z3 counterexample: {model}" if model else f"Z3 refuted: {verdict.reason}"
                    attempts.append(
                        ctx.record(goal, NAME, "", None, elapsed_s=verdict.elapsed_s, note=reason)
                    )
                    return Refuted(reason=reason, attempts=tuple(attempts))
                case SmtStatus.valid | SmtStatus.vacuous:
                    hints = verdict.hints
                case SmtStatus.unknown | SmtStatus.unsupported:
                    log.debug("Z3 gives no verdict on %s: %s", goal.name, verdict.reason)
        tactics = self._tactics if self._tactics is not None else ctx.settings.search.cascade_tactics
        candidates = ordered_candidates(hints, tactics)
        batch_size = self._batch_size or ctx.lean.workers
        for start in range(0, len(candidates), batch_size):
            batch = candidates[start : start + batch_size]
            started = time.perf_counter()
            results = await ctx.check_many([goal_source(goal, tactic_proof(t)) for t in batch])
            elapsed = (time.perf_counter() - started) / max(1, len(batch))
            for tactic, result in zip(batch, results, strict=True):
                proof = tactic_proof(tactic)
                record = ctx.record(
                    goal, NAME, proof, result.verdict, messages=result.errors, elapsed_s=elapsed
                )
                attempts.append(record)
                if result.verdict is Verdict.valid:
                    return Proved(proof=proof, attempts=tuple(attempts))
        return Failed(reason=f"none of {len(candidates)} closing tactics worked", attempts=tuple(attempts))

    async def _decide(self, goal: Goal, ctx: StrategyContext) -> SmtResult:
        assert ctx.smt is not None
        return await ctx.smt.decide_statement(goal.statement)
