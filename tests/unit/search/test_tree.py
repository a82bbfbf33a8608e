from __future__ import annotations

import pytest

from prover.search.tree import AttemptRecord, Decomposition, NodeKind, NodeStatus, SearchTree
from prover.types import Attempt, Goal, Verdict


def goal(name: str, body: str, depth: int = 0) -> Goal:
    return Goal(name=name, statement=f"theorem {name} (x : ℕ) : {body}", header="import Mathlib", depth=depth)


def split(tree: SearchTree, parent: str, *subgoals: Goal) -> tuple[str, list[str]]:
    decomposition = Decomposition(strategy="test", subgoals=subgoals, main_proof="by exact foo")
    return tree.add_decomposition(parent, decomposition)


def test_identical_goals_share_one_node_whatever_their_name() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    d1, created1 = split(tree, root, goal("a", "x + 0 = x", 1), goal("b", "0 + x = x", 1))
    d2, created2 = split(tree, root, goal("c", "x  +  0 = x", 1))
    assert len(created1) == 2
    assert created2 == []  # same statement up to the name and spacing: shared
    shared = tree.goal_id(goal("a", "x + 0 = x", 1))
    assert set(tree.parents(shared)) == {d1, d2}


def test_proved_subgoals_prove_the_decomposition_and_the_parent() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    d, (a, b) = split(tree, root, goal("a", "x + 0 = x", 1), goal("b", "0 + x = x", 1))
    tree.settle_goal(a, NodeStatus.proved, proof="by simp")
    assert tree.status(root) is NodeStatus.open
    changed = tree.settle_goal(b, NodeStatus.proved, proof="by simp")
    assert tree.status(d) is NodeStatus.proved
    assert tree.status(root) is NodeStatus.proved
    assert tree.proof(root) == "by exact foo"
    assert changed == [b, d, root]


def test_refuted_subgoal_fails_decomposition_and_prunes_its_siblings() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    d, (a, b) = split(tree, root, goal("a", "x + 0 = x", 1), goal("b", "x = 0", 1))
    changed = tree.settle_goal(b, NodeStatus.refuted)
    assert tree.status(d) is NodeStatus.failed
    assert tree.status(a) is NodeStatus.pruned
    assert tree.status(root) is NodeStatus.open  # other strategies may still prove it
    assert a in changed


def test_shared_subgoal_survives_while_another_decomposition_needs_it() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    d1, (a, b) = split(tree, root, goal("a", "x + 0 = x", 1), goal("b", "x = 0", 1))
    d2, _ = split(tree, root, goal("a2", "x + 0 = x", 1), goal("c", "x * 1 = x", 1))
    tree.settle_goal(b, NodeStatus.refuted)
    assert tree.status(d1) is NodeStatus.failed
    assert tree.status(a) is NodeStatus.open  # still needed by d2
    assert tree.status(d2) is NodeStatus.open


def test_proving_a_goal_prunes_its_open_decompositions() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    d, (a,) = split(tree, root, goal("a", "x + 0 = x", 1))
    tree.settle_goal(root, NodeStatus.proved, proof="by rfl")
    assert tree.status(d) is NodeStatus.pruned
    assert tree.status(a) is NodeStatus.pruned
    assert tree.counts()[NodeStatus.pruned] == 1
    assert tree.counts()[NodeStatus.proved] == 1


def test_terminal_statuses_do_not_change_and_proved_needs_a_proof() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    with pytest.raises(ValueError, match="proof"):
        tree.settle_goal(root, NodeStatus.proved)
    tree.settle_goal(root, NodeStatus.failed, reason="gave up")
    assert tree.settle_goal(root, NodeStatus.proved, proof="by rfl") == []
    assert tree.status(root) is NodeStatus.failed


def test_pruned_goal_reopens_for_a_new_decomposition_and_reconcile_uses_settled_ones() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    _, (a, b) = split(tree, root, goal("a", "x + 0 = x", 1), goal("b", "x * 1 = x", 1))
    tree.settle_goal(a, NodeStatus.proved, proof="by simp")
    tree.settle_goal(b, NodeStatus.failed)
    d2, created = split(tree, root, goal("a", "x + 0 = x", 1))
    assert created == []
    changed = tree.reconcile(d2)
    assert tree.status(d2) is NodeStatus.proved and root in changed
    tree2 = SearchTree()
    root2, _ = tree2.add_goal(goal("main", "x = x"))
    _, (c,) = split(tree2, root2, goal("c", "x - 0 = x", 1))
    tree2.graph.nodes[root2]["status"] = NodeStatus.open
    tree2.prune_unneeded([c])  # still needed: its decomposition is open
    assert tree2.status(c) is NodeStatus.open


def test_attempts_are_leaves_proved_only_when_valid() -> None:
    tree = SearchTree()
    root, _ = tree.add_goal(goal("main", "x = x"))
    ok = tree.add_attempt(
        root, AttemptRecord(attempt=Attempt(goal_key="k", strategy="s", proof="p", verdict=Verdict.valid))
    )
    bad = tree.add_attempt(
        root, AttemptRecord(attempt=Attempt(goal_key="k", strategy="s", proof="p", verdict=Verdict.sorry))
    )
    assert tree.status(ok) is NodeStatus.proved and tree.status(bad) is NodeStatus.failed
    assert tree.kind(ok) is NodeKind.attempt
    assert tree.failures(root) == 1
