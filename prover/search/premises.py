"""Premises for a goal, as decomposition and repair ask for them (Hilbert: 5 reasoner queries, top 5 each).

With a reasoner configured, the reasoner writes a few informal search queries for the goal (prompt
``premise_queries``; the call goes through ``ctx.generate`` so the goal's budget pays for it); each query and
the goal's own text are run, and the results are merged and deduplicated by premise name. Without a
reasoner, or when its answer holds no usable query, the goal's own text is the only query. The pure parts
(parsing the answer, merging) live in ``retrieval.query``.
"""

from __future__ import annotations

import asyncio
import logging

from prover.llm.base import Role
from prover.llm.prompts import load_prompt
from prover.search.strategies.base import StrategyContext
from prover.types import Goal, PremiseHit
from retrieval.query import merge_hits, parse_search_queries, query_from_goal, query_from_statement

log = logging.getLogger(__name__)

PROMPT = "premise_queries"


def goal_query(goal: Goal) -> str:
    """The goal's own text as a query: Lean's printed goal when there is one, else the statement."""
    if goal.goal_text and goal.goal_text.strip():
        return query_from_goal(goal.goal_text)
    return query_from_statement(goal.statement)


async def reasoner_queries(goal: Goal, ctx: StrategyContext) -> list[str]:
    """The reasoner's informal queries for ``goal`` ([] without a reasoner or with queries switched off).

    Raises what ``ctx.generate`` raises (``BudgetExhausted``, model errors): the caller's strategy handles
    them like any other LLM call of its own.
    """
    count = ctx.settings.retrieval.reasoner_queries
    model = ctx.model(Role.reasoner)
    if model is None or count <= 0:
        return []
    request = load_prompt(PROMPT).request(
        endpoint=ctx.settings.llm.reasoner.endpoint,
        header=goal.header.strip(),
        goal=goal.statement.strip(),
        count=str(count),
    )
    response = await ctx.generate(model, request.model_copy(update={"n": 1}))
    queries: list[str] = []
    for choice in response.choices:
        if not choice.truncated:
            queries += parse_search_queries(choice.text, count)
    return queries[:count]


async def premises_for(goal: Goal, ctx: StrategyContext, *, k: int) -> list[PremiseHit]:
    """Up to ``k`` distinct premises that a proof of ``goal`` may cite; [] when no retriever is configured."""
    retriever = ctx.retriever
    if retriever is None or k <= 0:
        return []
    own = goal_query(goal)
    queries = await reasoner_queries(goal, ctx)
    per_query = ctx.settings.retrieval.per_query_k
    # The goal's own text runs last and deepest: it fills the list when the queries find little.
    plan = [(query, per_query) for query in queries] + [(own, max(k, per_query))]
    log.debug("premises for %s: %d reasoner queries", goal.name, len(queries))

    def run_all() -> list[list[PremiseHit]]:
        return [retriever.search(query, k=depth) for query, depth in plan]

    # Searches are CPU work (milliseconds each): off the event loop, so Lean checks keep flowing meanwhile.
    runs = await asyncio.to_thread(run_all)
    return runs[0][:k] if len(runs) == 1 else merge_hits(runs, k)
