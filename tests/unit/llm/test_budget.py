from __future__ import annotations

import threading

import pytest

from prover.errors import BudgetExhausted
from prover.llm.budget import Accounting, Budget, cost_usd


def test_uncapped_budget_never_raises() -> None:
    budget = Budget()
    for _ in range(100):
        budget.before_call()
        budget.charge(tokens=10_000, cost_usd=1.0)
    assert budget.spent.calls == 100
    assert budget.spent.tokens == 1_000_000


def test_call_cap_refuses_the_call_after_the_last_allowed() -> None:
    budget = Budget(max_calls=2)
    for _ in range(2):
        budget.before_call()
        budget.charge()
    with pytest.raises(BudgetExhausted) as caught:
        budget.before_call()
    assert caught.value.resource == "calls"


@pytest.mark.parametrize(
    ("budget", "charge", "resource"),
    [
        (Budget(max_tokens=100), {"tokens": 101}, "tokens"),
        (Budget(max_cost_usd=0.5), {"cost_usd": 0.75}, "cost"),
    ],
)
def test_charge_past_a_cap_raises_naming_the_resource(
    budget: Budget, charge: dict[str, float], resource: str
) -> None:
    with pytest.raises(BudgetExhausted) as caught:
        budget.charge(**charge)  # type: ignore[arg-type]
    assert caught.value.resource == resource
    assert budget.spent.calls == 1  # the call is still recorded


def test_charge_reaching_a_cap_exactly_is_allowed_but_blocks_the_next_call() -> None:
    budget = Budget(max_tokens=100)
    budget.charge(tokens=100)
    with pytest.raises(BudgetExhausted):
        budget.before_call()


def test_concurrent_charges_are_all_counted() -> None:
    budget = Budget()

    def spend() -> None:
        for _ in range(1000):
            budget.charge(tokens=3, cost_usd=0.001)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert budget.spent.calls == 8000
    assert budget.spent.tokens == 24_000


def test_accounting_totals_per_role_and_model() -> None:
    accounting = Accounting()
    accounting.record(
        role="prover",
        model="a",
        prompt_tokens=10,
        completion_tokens=5,
        latency_s=1.0,
        cost_usd=0.1,
        cached=False,
    )
    accounting.record(
        role="prover",
        model="a",
        prompt_tokens=1,
        completion_tokens=2,
        latency_s=0.5,
        cost_usd=0.2,
        cached=False,
    )
    accounting.record(
        role="reasoner",
        model="b",
        prompt_tokens=0,
        completion_tokens=0,
        latency_s=0.0,
        cost_usd=0.0,
        cached=True,
    )
    rows = {(key.role, key.model): row for key, row in accounting.by_role_model().items()}
    assert rows["prover", "a"].calls == 2
    assert rows["prover", "a"].tokens == 18
    assert rows["prover", "a"].cost_usd == pytest.approx(0.3)
    assert rows["reasoner", "b"].cached_calls == 1 and rows["reasoner", "b"].calls == 0
    assert accounting.total().prompt_tokens == 11


def test_cost_uses_prices_per_million_tokens() -> None:
    assert cost_usd(2_000_000, 500_000, prompt_per_mtok=0.5, completion_per_mtok=2.0) == pytest.approx(2.0)
