from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from prover.errors import BudgetExhausted, InputError
from prover.search.assemble import assemble
from prover.search.budget import Limits, Resource, SearchBudget
from prover.search.output import backup_path, write_atomic, write_in_place
from prover.search.trace import Trace, load_trace, nodes_of, save_trace
from prover.search.trace_view import rich_tree, to_dot, to_html
from prover.search.tree import AttemptRecord, Decomposition, NodeStatus, SearchTree
from prover.types import Attempt, Goal, ProofStatus, Verdict


def small_tree() -> tuple[SearchTree, str]:
    tree = SearchTree()
    root, _ = tree.add_goal(Goal(name="main", statement="theorem main (x : ℕ) : x + 0 = 0 + x"))
    record = AttemptRecord(
        attempt=Attempt(goal_key="k", strategy="direct", proof="by simp <oops>", verdict=Verdict.lean_error),
        llm_calls=1,
        tokens=120,
        lean_checks=1,
        cache_keys=("abc-0",),
    )
    tree.add_attempt(root, record)
    subgoals = (
        Goal(name="main_h0", statement="theorem main_h0 (x : ℕ) : x + 0 = x", depth=1),
        Goal(name="main_h1", statement="theorem main_h1 (x : ℕ) : 0 + x = x", depth=1),
    )
    _, (a, b) = tree.add_decomposition(
        root, Decomposition(strategy="split", subgoals=subgoals, main_proof="by rw [main_h0, main_h1]")
    )
    tree.settle_goal(a, NodeStatus.proved, proof="by simp")
    tree.settle_goal(b, NodeStatus.proved, proof="by\n  omega")
    return tree, root


def test_assembly_puts_lemmas_first_and_uses_the_decomposition_proof() -> None:
    tree, root = small_tree()
    assembled = assemble(tree, root)
    assert assembled.proof == "by rw [main_h0, main_h1]"
    text = assembled.declarations("theorem main (x : ℕ) : x + 0 = 0 + x")
    assert text.index("theorem main_h0") < text.index("theorem main_h1") < text.index("theorem main (")
    assert "theorem main_h1 (x : ℕ) : 0 + x = x := by\n  omega" in text


def test_assembly_refuses_an_unproved_goal() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(Goal(name="t", statement="theorem t : False"))
    with pytest.raises(ValueError, match="not proved"):
        assemble(tree, root)


def trace_of(tree: SearchTree, root: str) -> Trace:
    nodes, edges = nodes_of(tree)
    return Trace(
        theorem="main", status=ProofStatus.proved, root=root, nodes=nodes, edges=edges, final_proof="x"
    )


def test_trace_round_trips_and_renders(tmp_path: Path) -> None:
    tree, root = small_tree()
    path = save_trace(trace_of(tree, root), tmp_path / "traces")
    loaded = load_trace(path)
    assert loaded == trace_of(tree, root)
    attempt = next(n for n in loaded.nodes if n.attempt is not None)
    assert attempt.attempt is not None and attempt.attempt.cache_keys == ("abc-0",)
    console = Console(width=200, record=True)
    console.print(rich_tree(loaded))
    shown = console.export_text()
    assert "AND split: 2 subgoals" in shown and "goal main_h1" in shown
    assert "direct `by simp <oops>`: lean_error" in shown  # what was tried, not only that it failed
    dot = to_dot(loaded)
    assert dot.count("->") == len(loaded.edges) and dot.startswith('digraph "main"')
    page = to_html(loaded)
    assert "&lt;oops&gt;" in page and "<oops>" not in page and "<script" not in page


def test_load_trace_rejects_non_traces(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"theorem": "x"}))
    with pytest.raises(InputError, match="not a prover trace"):
        load_trace(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_trace(tmp_path / "missing.json")


def test_atomic_write_and_in_place_backup(tmp_path: Path) -> None:
    target = tmp_path / "a.lean"
    target.write_text("old")
    backup = write_in_place(target, "old", "new")
    assert target.read_text() == "new" and backup == backup_path(target) and backup.read_text() == "old"
    write_atomic(tmp_path / "b.lean", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.lean", "a.lean.bak", "b.lean"]  # no temporaries


def test_budget_levels_refuse_before_spending() -> None:
    now = [0.0]
    limits = Limits(llm_calls=3, tokens=100, cost_usd=1.0, lean_checks=4, wall_s=10.0)
    top = SearchBudget(limits, clock=lambda: now[0])
    node = top.child(0.5, "goal g")
    node.reserve_lean_checks(2)
    with pytest.raises(BudgetExhausted) as caught:
        node.reserve_lean_checks(1)
    assert caught.value.resource == "lean_checks"
    assert top.spent().lean_checks == 2  # the refused charge took nothing
    node.reserve_llm_call()
    node.record_llm_usage(tokens=100, cost_usd=0.0)
    with pytest.raises(BudgetExhausted, match="tokens"):
        top.child(0.5, "other").reserve_llm_call()
    top.reserve_lean_checks(2)  # tokens do not stop Lean work
    now[0] = 11.0
    found = top.first_exhausted()
    assert found is not None and found[1] is Resource.wall_s
