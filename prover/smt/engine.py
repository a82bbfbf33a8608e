"""The entry point: decide a goal or a statement with Z3 and exact evaluation.

``valid``: ``hypotheses ∧ ¬goal`` is unsatisfiable; ``vacuous``: the hypotheses alone are; ``refuted``: a
counterexample that the exact evaluator confirmed on the original (typed) statement, from a Z3 model or a
small instance; ``unknown``: nothing decided in time; ``unsupported``: the statement leaves the fragment.
Z3 never certifies anything: only Lean does.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from fractions import Fraction

from prover.settings import SmtSettings
from prover.smt.core import OutsideFragment, Query, used_hypotheses
from prover.smt.evaluate import Evaluator
from prover.smt.hints import closing_hints
from prover.smt.instances import false_hypothesis, find_counterexample
from prover.smt.statement import query_from_goal, query_from_statement
from prover.smt.worker import Answer, SolveOutcome, Z3Worker
from prover.types import SmtResult, SmtStatus

log = logging.getLogger(__name__)

MAX_INSTANCES = 20_000
FALSE_HYPOTHESIS_INSTANCES = 2_000


def lean_value(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _assignment(values: dict[str, Fraction]) -> str:
    return ", ".join(f"{name} = {lean_value(value)}" for name, value in values.items())


def confirm(query: Query, assignment: dict[str, Fraction]) -> bool:
    """True only when every hypothesis evaluates exactly to true and the goal exactly to false."""
    if query.goal is None or query.dropped or not query.defined:
        return False
    evaluator = Evaluator(assignment, definitions=query.definitions)
    if any(evaluator.formula(h.formula) is not True for h in query.constraints):
        return False
    return evaluator.formula(query.goal) is False


@dataclass(frozen=True, slots=True)
class Decision:
    result: SmtResult
    goal_translated: bool = False


class SmtEngine:
    """Decides arithmetic goals; owns one Z3 worker process (use one engine per thread, ``close`` it)."""

    def __init__(self, settings: SmtSettings) -> None:
        self.settings = settings
        self._worker = Z3Worker()

    def close(self) -> None:
        self._worker.close()

    def __enter__(self) -> SmtEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def decide_goal(self, goal_text: str) -> SmtResult:
        """A goal as the REPL prints it: hypothesis lines, then ``⊢ target``."""
        started = time.monotonic()
        try:
            query = query_from_goal(goal_text)
        except OutsideFragment as error:
            return _result(SmtStatus.unsupported, started, reason=str(error))
        return self.decide_query(query, started=started)

    def decide_statement(self, statement: str) -> SmtResult:
        """A theorem statement ``theorem name binders : type`` (a header and ``:= by`` may follow)."""
        started = time.monotonic()
        try:
            query = query_from_statement(statement)
        except OutsideFragment as error:
            return _result(SmtStatus.unsupported, started, reason=str(error))
        return self.decide_query(query, started=started)

    def decide_query(self, query: Query, *, started: float | None = None) -> SmtResult:
        return self.explain_query(query, started=started).result

    def explain_query(self, query: Query, *, started: float | None = None) -> Decision:
        """``decide_query`` plus whether Z3 (or the exact evaluator) received the goal."""
        decision = self._explain(query, started=started)
        return Decision(_with_readings(decision.result, query), decision.goal_translated)

    def _explain(self, query: Query, *, started: float | None = None) -> Decision:
        started = time.monotonic() if started is None else started
        if not self.settings.enabled:
            return Decision(
                _result(SmtStatus.unknown, started, reason="the SMT engine is disabled (smt.enabled)")
            )
        if query.goal is not None and not query.variables and not query.functions and not query.hypotheses:
            truth = Evaluator({}, deadline=started + self.settings.timeout_s).formula(query.goal)
            if truth is True:
                hints = closing_hints(query)
                return Decision(
                    _result(SmtStatus.valid, started, hints=hints, reason="closed; evaluated"), True
                )
            if truth is False:
                reason = "closed statement evaluates to false"
                return Decision(_result(SmtStatus.refuted, started, model={}, reason=reason), True)
        false = false_hypothesis(
            query,
            self.settings.small_instance_bound,
            max_instances=FALSE_HYPOTHESIS_INSTANCES,
            deadline_s=0.2,
        )
        if false is not None:
            name, instance = false
            where = f" at {_assignment(instance)}" if instance else ""
            reason = f"inconsistent hypotheses: {name} is false{where} (exact evaluation)"
            return Decision(_result(SmtStatus.vacuous, started, reason=reason, hints=closing_hints(query)))
        outcome = self._worker.solve(query, self.settings.timeout_s)
        translated = outcome.negation is not Answer.skipped
        return Decision(self._conclude(query, outcome, started), translated)

    def _conclude(self, query: Query, outcome: SolveOutcome, started: float) -> SmtResult:
        notes = [outcome.failure] if outcome.failure else []
        notes += [f"not sent to Z3: {item}" for item in outcome.untranslated]
        if outcome.hypotheses is Answer.unsat:
            names = ", ".join(outcome.core) or "the hypotheses"
            return _result(
                SmtStatus.vacuous,
                started,
                reason=f"inconsistent hypotheses: {names}",
                hints=closing_hints(query),
            )
        if query.goal is None:
            return _result(SmtStatus.unsupported, started, reason=query.goal_problem)
        if outcome.negation is Answer.unsat:
            return _result(SmtStatus.valid, started, hints=closing_hints(query), reason="; ".join(notes))
        if outcome.negation is Answer.sat:
            refuted = self._confirmed_model(query, outcome, notes)
            if refuted is not None:
                return _result(
                    SmtStatus.refuted, started, model=refuted, reason="z3 model, confirmed exactly"
                )
        elif outcome.negation is Answer.unknown:
            notes.append("z3: unknown within the time limit")
        return self._small_instances(query, started, notes)

    def _confirmed_model(
        self, query: Query, outcome: SolveOutcome, notes: list[str]
    ) -> dict[str, str] | None:
        if query.dropped:
            notes.append(f"z3 found a model, but hypotheses {', '.join(query.dropped)} are unsupported")
            return None
        if any(value is None for value in outcome.model.values()):
            notes.append("z3 model has irrational values; not confirmed")
            return None
        assignment = {name: value for name, value in outcome.model.items() if value is not None}
        if not confirm(query, assignment):
            notes.append("z3 model not confirmed by exact evaluation")
            return None
        return {name: lean_value(value) for name, value in assignment.items()}

    def _small_instances(self, query: Query, started: float, notes: list[str]) -> SmtResult:
        budget = max(0.2, self.settings.timeout_s)
        found, tried = find_counterexample(
            query, self.settings.small_instance_bound, max_instances=MAX_INSTANCES, deadline_s=budget
        )
        if found is not None:
            model = {name: lean_value(value) for name, value in found.items()}
            return _result(SmtStatus.refuted, started, model=model, reason=f"small instance ({tried} tried)")
        if tried:
            notes.append(f"no counterexample among {tried} small instances")
        return _result(SmtStatus.unknown, started, reason="; ".join(notes))


def _result(
    status: SmtStatus,
    started: float,
    *,
    reason: str = "",
    model: dict[str, str] | None = None,
    hints: tuple[str, ...] = (),
) -> SmtResult:
    return SmtResult(
        status=status, model=model, reason=reason, hints=hints, elapsed_s=time.monotonic() - started
    )


def _with_readings(result: SmtResult, query: Query) -> SmtResult:
    """``result`` whose reason also says which hypotheses were read as definitions of functions and sets."""
    readings = used_hypotheses(query)
    if not readings or result.status in (SmtStatus.unknown, SmtStatus.unsupported):
        return result
    reason = f"{result.reason}; {readings}" if result.reason else readings
    return result.model_copy(update={"reason": reason})
