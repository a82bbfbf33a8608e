"""Small-instance search: evaluate a statement exactly on small values of its variables (like Plausible).

Used when Z3 cannot decide (or express) a statement. Every instance is evaluated with the exact evaluator,
so a failing instance is a confirmed counterexample; finding none proves nothing.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

from prover.smt.core import Formula, Quant, Query, Sort, Var, free_names, function_names
from prover.smt.evaluate import Evaluator

FIELD_SAMPLES = (
    0,
    1,
    -1,
    2,
    -2,
    Fraction(1, 2),
    Fraction(-1, 2),
    3,
    -3,
    Fraction(1, 3),
    Fraction(3, 2),
    4,
    -4,
    5,
)


def candidate_values(sort: Sort, bound: int) -> list[Fraction]:
    """Values tried for one variable, smallest first."""
    match sort:
        case Sort.nat:
            return [Fraction(k) for k in range(bound + 1)]
        case Sort.int:
            values = [Fraction(0)]
            for k in range(1, bound + 1):
                values += [Fraction(k), Fraction(-k)]
            return values
        case Sort.rat | Sort.real:
            extra = [Fraction(k) for k in range(6, bound + 1)]
            return [Fraction(v) for v in FIELD_SAMPLES] + extra
        case Sort.complex:
            return []  # never the sort of a query variable (ℂ values are pairs of ℝ variables)


def find_counterexample(
    query: Query, bound: int, *, max_instances: int, deadline_s: float
) -> tuple[dict[str, Fraction] | None, int]:
    """A confirmed counterexample (hypotheses true, goal false) and how many instances were tried."""
    if query.goal is None or query.dropped or not query.defined:
        return None, 0
    variables: tuple[Var, ...] = query.variables
    if not variables and not query.definitions:
        return None, 0
    per_variable = max(2, int(max_instances ** (1 / max(1, len(variables)))))
    pools = [candidate_values(var.sort, bound)[:per_variable] for var in variables]
    stop_at = time.monotonic() + deadline_s
    tried = 0
    for combination in itertools.product(*pools):
        if tried >= max_instances or time.monotonic() > stop_at:
            break  # the budget: one instance can be slow (a large ∑ unrolled), so check every time
        tried += 1
        assignment = {var.name: value for var, value in zip(variables, combination, strict=True)}
        evaluator = Evaluator(assignment, deadline=stop_at, definitions=query.definitions)
        holds = all(evaluator.formula(h.formula) is True for h in query.constraints)
        if holds and evaluator.formula(query.goal) is False:
            return assignment, tried
    return None, tried


def false_hypothesis(
    query: Query, bound: int, *, max_instances: int, deadline_s: float
) -> tuple[str, dict[str, Fraction]] | None:
    """A hypothesis that is false on its own, and the instance of its ``∀`` variables where it fails.

    Only closed hypotheses count (no free variable; functions only those the query defines, whose values
    the other hypotheses force), so a false one makes the statement vacuous. Its leading ``∀`` variables are
    instantiated at small values (``∀ n : ℕ, n ∣ 14`` fails at ``n = 0``); ``{}`` means false as it stands.
    """
    defined = {d.name for d in query.definitions} | {"Real.pi", "Real.rpow"}
    stop_at = time.monotonic() + deadline_s
    for hypothesis in query.constraints:
        formula: Formula = hypothesis.formula
        if free_names(formula) or not function_names(formula) <= defined:
            continue
        leading: list[Var] = []
        while isinstance(formula, Quant) and formula.forall and formula.domain is None:
            leading.append(Var(formula.var, formula.sort))
            formula = formula.body
        per_variable = max(2, int(max_instances ** (1 / max(1, len(leading)))))
        pools = [candidate_values(var.sort, bound)[:per_variable] for var in leading]
        for tried, combination in enumerate(itertools.product(*pools)):
            if tried >= max_instances or time.monotonic() > stop_at:
                break
            instance = {var.name: value for var, value in zip(leading, combination, strict=True)}
            evaluator = Evaluator(instance, deadline=stop_at, definitions=query.definitions)
            if evaluator.formula(formula) is False:
                return hypothesis.name, instance
    return None
