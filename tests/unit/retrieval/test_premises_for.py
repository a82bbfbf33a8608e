"""``premises_for``: reasoner-written queries, each run, merged and deduplicated; the goal's text without one."""

from __future__ import annotations

from dataclasses import dataclass, field

from prover.llm.base import Role
from prover.search.budget import Limits, SearchBudget
from prover.search.premises import premises_for
from prover.search.strategies.base import LeanPool, StrategyContext
from prover.settings import Settings
from prover.types import Goal, Premise, PremiseHit
from retrieval.query import merge_hits, parse_search_queries
from tests.unit.search.conftest import FakeLean, FakeModel

GOAL = Goal(
    name="t",
    statement="theorem t (p : ℕ) (hp : p.Prime) (x : ℝ) : 0 ≤ x ^ 2 ∧ 2 ≤ p",
    header="import Mathlib",
)


def hit(name: str, score: float = 1.0) -> PremiseHit:
    return PremiseHit(premise=Premise(name=name), score=score)


@dataclass
class TableRetriever:
    """Answers each query from a table (unknown queries get ``default``); logs every query and its k."""

    table: dict[str, list[str]]
    default: list[str] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def search(self, query: str, k: int = 10) -> list[PremiseHit]:
        self.calls.append((query, k))
        return [hit(name) for name in self.table.get(query, self.default)[:k]]

    def lookup_name(self, name: str, k: int = 5) -> list[PremiseHit]:
        return []


def context(
    retriever: TableRetriever | None, reasoner: FakeModel | None, settings: Settings | None = None
) -> StrategyContext:
    limits = Limits(llm_calls=10, tokens=10_000, cost_usd=1.0, lean_checks=10, wall_s=60.0)
    return StrategyContext(
        settings=settings or Settings(),
        lean=LeanPool(backend=FakeLean(), workers=1, timeout_s=5.0),
        budget=SearchBudget(limits),
        models={Role.reasoner: reasoner},
        retriever=retriever,
    )


async def test_no_retriever_gives_nothing_and_calls_no_model() -> None:
    reasoner = FakeModel(answers=[["the square of a number is nonnegative"]], role_name="reasoner")
    assert await premises_for(GOAL, context(None, reasoner), k=5) == []
    assert reasoner.requests == []


async def test_without_a_reasoner_the_goal_text_is_the_only_query() -> None:
    retriever = TableRetriever({}, default=["sq_nonneg", "Nat.Prime.two_le"])
    hits = await premises_for(GOAL, context(retriever, None), k=7)
    assert [h.premise.name for h in hits] == ["sq_nonneg", "Nat.Prime.two_le"]
    [(query, k)] = retriever.calls
    assert k == 7
    assert "theorem" not in query and "0 ≤ x ^ 2" in query


async def test_reasoner_queries_are_run_merged_and_deduplicated() -> None:
    answer = (
        "1. the square of a real number is nonnegative\n"
        "2. a prime number is at least two\n"
        "3. The square of a real number is nonnegative\n"  # a repeat: run once
    )
    reasoner = FakeModel(answers=[[answer]], role_name="reasoner")
    retriever = TableRetriever(
        {
            "the square of a real number is nonnegative": ["sq_nonneg", "pow_two_nonneg", "abs_nonneg"],
            "a prime number is at least two": ["Nat.Prime.two_le", "sq_nonneg", "Nat.Prime.pos"],
        },
        default=["Nat.Prime.two_le", "le_refl"],
    )
    ctx = context(retriever, reasoner)
    hits = await premises_for(GOAL, ctx, k=10)
    names = [h.premise.name for h in hits]
    assert len(names) == len(set(names))  # deduplicated by name
    assert set(names) == {
        "sq_nonneg",
        "pow_two_nonneg",
        "abs_nonneg",
        "Nat.Prime.two_le",
        "Nat.Prime.pos",
        "le_refl",
    }
    # Found by two queries each: they come first.
    assert set(names[:2]) == {"sq_nonneg", "Nat.Prime.two_le"}
    queries = [q for q, _ in retriever.calls]
    assert queries[:2] == ["the square of a real number is nonnegative", "a prime number is at least two"]
    assert len(queries) == 3  # two distinct reasoner queries, then the goal's own text
    assert ctx.meter.llm_calls == 1  # the reasoner call went through ctx.generate (budgeted)
    prompt = reasoner.requests[0].messages[-1].content
    assert "0 ≤ x ^ 2" in prompt and "5" in prompt


async def test_per_query_depth_and_result_size_follow_settings_and_k() -> None:
    settings = Settings(retrieval={"reasoner_queries": 2, "per_query_k": 3})
    reasoner = FakeModel(answers=[["q one\nq two\nq three\nq four"]], role_name="reasoner")
    retriever = TableRetriever({}, default=[f"lemma{i}" for i in range(20)])
    hits = await premises_for(GOAL, context(retriever, reasoner, settings), k=4)
    assert len(hits) == 4
    assert [k for _, k in retriever.calls] == [3, 3, 4]
    assert [q for q, _ in retriever.calls][:2] == ["q one", "q two"]


async def test_an_answer_with_no_usable_query_falls_back_to_the_goal_text() -> None:
    reasoner = FakeModel(answers=[["```\n\n```"]], role_name="reasoner")
    retriever = TableRetriever({}, default=["sq_nonneg"])
    hits = await premises_for(GOAL, context(retriever, reasoner), k=3)
    assert [h.premise.name for h in hits] == ["sq_nonneg"]
    assert len(retriever.calls) == 1


def test_parse_search_queries_strips_marks_quotes_and_thinking() -> None:
    answer = '<think>maybe "x"</think>\n- "sum of a geometric series"\n* Query 2: AM-GM inequality\n\n3) x\n'
    assert parse_search_queries(answer, 5) == ["sum of a geometric series", "AM-GM inequality"]
    assert parse_search_queries("a b c\nd e f\ng h i", 2) == ["a b c", "d e f"]


def test_merge_hits_prefers_agreement_then_rank_and_cuts_to_k() -> None:
    runs = [[hit("a"), hit("b"), hit("a")], [hit("c"), hit("b")], []]
    merged = merge_hits(runs, 10)
    assert [h.premise.name for h in merged] == ["b", "a", "c"]
    assert merged[0].score > merged[1].score
    assert [h.premise.name for h in merge_hits(runs, 1)] == ["b"]
    assert merge_hits([], 3) == []
