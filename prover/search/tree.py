"""The AND/OR proof search tree of one problem, on a ``networkx.DiGraph``.

Three kinds of node:

- goal (OR): a standalone lemma; proved when any child is proved. Children are attempts and decompositions.
- attempt (leaf): one candidate proof of its parent goal by one strategy; proved iff Lean accepted it.
- decomposition (AND): a split of its parent goal into subgoals; proved when every subgoal is proved, failed as
  soon as one subgoal is refuted or failed.

Invariants:
- Goals are shared: one goal node per ``Goal.key`` within a tree, so a goal node may have several parents.
- Statuses only leave ``open`` once (``open`` -> terminal) and never change again, with one exception: a
  pruned goal ("no longer needed", not a verdict) reopens when a new decomposition needs it.
- Propagation runs both ways: upwards (a proved child closes its goal, a failed subgoal fails its
  decomposition) and downwards (once a goal is settled, its open decompositions are pruned, and so are
  subgoals no other open decomposition still needs). Pruned goals are reported so the scheduler can cancel
  their running strategies.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from enum import StrEnum

import networkx as nx

from prover.types import Attempt, Frozen, Goal, Verdict


class NodeKind(StrEnum):
    goal = "goal"
    attempt = "attempt"
    decomposition = "decomposition"


class NodeStatus(StrEnum):
    open = "open"
    proved = "proved"
    failed = "failed"
    refuted = "refuted"
    pruned = "pruned"

    @property
    def terminal(self) -> bool:
        return self is not NodeStatus.open


class AttemptRecord(Frozen):
    """An attempt plus what it cost and where its LLM text lives in the cache (enough to replay it)."""

    attempt: Attempt
    llm_calls: int = 0
    tokens: int = 0
    lean_checks: int = 0
    cache_keys: tuple[str, ...] = ()
    started_s: float = 0.0  # seconds since the search started


class Decomposition(Frozen):
    """A split of a goal: prove ``subgoals`` as lemmas, then the goal by ``main_proof`` which cites them."""

    strategy: str
    subgoals: tuple[Goal, ...]
    main_proof: str  # the text after ``:=`` of the parent goal, citing subgoals by their names
    note: str = ""


class SearchTree:
    """The graph plus the bookkeeping that keeps the invariants above. Single writer: the scheduler."""

    def __init__(self) -> None:
        self.graph: nx.DiGraph[str] = nx.DiGraph()
        self.root: str | None = None
        self._ids = itertools.count()
        self._goal_counts = dict.fromkeys(NodeStatus, 0)

    # ---------------------------------------------------------------------------------- building
    @staticmethod
    def goal_id(goal: Goal) -> str:
        return f"g:{goal.key}"

    def add_goal(self, goal: Goal, parent: str | None = None) -> tuple[str, bool]:
        """The node of ``goal`` (created when new) linked under ``parent``; ``True`` when it was created."""
        node = self.goal_id(goal)
        created = node not in self.graph
        if created:
            self.graph.add_node(
                node, kind=NodeKind.goal, status=NodeStatus.open, goal=goal, proof=None, failures=0, reason=""
            )
            self._goal_counts[NodeStatus.open] += 1
        if parent is None:
            if self.root is None:
                self.root = node
        else:
            self.graph.add_edge(parent, node)
        return node, created

    def add_attempt(self, goal_node: str, record: AttemptRecord) -> str:
        """Record a finished attempt; it is proved iff its verdict is valid (the caller rechecked it)."""
        node = f"a:{next(self._ids)}"
        status = NodeStatus.proved if record.attempt.verdict is Verdict.valid else NodeStatus.failed
        self.graph.add_node(node, kind=NodeKind.attempt, status=status, record=record)
        self.graph.add_edge(goal_node, node)
        if status is NodeStatus.failed:
            self.graph.nodes[goal_node]["failures"] += 1
        return node

    def add_decomposition(self, goal_node: str, decomposition: Decomposition) -> tuple[str, list[str]]:
        """Add an AND node under ``goal_node`` with its subgoals (shared when already present).

        Returns the decomposition node and the subgoal nodes that were created or reopened (they need
        scheduling). Call ``reconcile`` next: shared subgoals may already be settled.
        """
        node = f"d:{next(self._ids)}"
        self.graph.add_node(
            node, kind=NodeKind.decomposition, status=NodeStatus.open, decomposition=decomposition
        )
        self.graph.add_edge(goal_node, node)
        created: list[str] = []
        for subgoal in decomposition.subgoals:
            child, is_new = self.add_goal(subgoal, parent=node)
            if self.status(child) is NodeStatus.pruned:
                # Pruned means "no longer needed", not a verdict: a new decomposition needs it again.
                self._set_status(child, NodeStatus.open)
                is_new = True
            if is_new:
                created.append(child)
        return node, created

    def note_failure(self, goal_node: str, reason: str) -> None:
        """A strategy gave up on an open goal (its attempts, if any, are recorded separately)."""
        data = self.graph.nodes[goal_node]
        data["failures"] += 1
        data["reason"] = reason

    def reason(self, node: str) -> str:
        reason: str = self.graph.nodes[node].get("reason", "")
        return reason

    def reconcile(self, decomposition_node: str) -> list[str]:
        """Settle a new decomposition whose shared subgoals were already settled; returns changed nodes."""
        changed: list[str] = []
        for child in list(self.children(decomposition_node)):
            status = self.status(child)
            if status in (NodeStatus.proved, NodeStatus.failed, NodeStatus.refuted):
                for parent in list(self.parents(child)):
                    if parent == decomposition_node:
                        self._propagate_up(parent, child, status, changed)
        return changed

    # ---------------------------------------------------------------------------------- reading
    def kind(self, node: str) -> NodeKind:
        kind: NodeKind = self.graph.nodes[node]["kind"]
        return kind

    def status(self, node: str) -> NodeStatus:
        status: NodeStatus = self.graph.nodes[node]["status"]
        return status

    def goal(self, node: str) -> Goal:
        goal: Goal = self.graph.nodes[node]["goal"]
        return goal

    def proof(self, node: str) -> str | None:
        proof: str | None = self.graph.nodes[node].get("proof")
        return proof

    def proved_via(self, goal_node: str) -> str | None:
        """The decomposition that proved this goal, or None when an attempt (or the cache) did."""
        via: str | None = self.graph.nodes[goal_node].get("via")
        return via

    def record(self, node: str) -> AttemptRecord:
        record: AttemptRecord = self.graph.nodes[node]["record"]
        return record

    def decomposition(self, node: str) -> Decomposition:
        decomposition: Decomposition = self.graph.nodes[node]["decomposition"]
        return decomposition

    def failures(self, node: str) -> int:
        failures: int = self.graph.nodes[node].get("failures", 0)
        return failures

    def children(self, node: str) -> Iterator[str]:
        return iter(self.graph.successors(node))

    def parents(self, node: str) -> Iterator[str]:
        return iter(self.graph.predecessors(node))

    def nodes_of(self, kind: NodeKind) -> Iterator[str]:
        return (n for n, data in self.graph.nodes(data=True) if data["kind"] is kind)

    def counts(self) -> dict[NodeStatus, int]:
        """How many goal nodes have each status (what progress displays show)."""
        return dict(self._goal_counts)

    def _set_status(self, node: str, status: NodeStatus) -> None:
        data = self.graph.nodes[node]
        if data["kind"] is NodeKind.goal:
            self._goal_counts[data["status"]] -= 1
            self._goal_counts[status] += 1
        data["status"] = status

    def has_open_decomposition(self, goal_node: str) -> bool:
        return any(
            self.kind(c) is NodeKind.decomposition and self.status(c) is NodeStatus.open
            for c in self.children(goal_node)
        )

    # ---------------------------------------------------------------------------------- settling
    def settle_goal(
        self, goal_node: str, status: NodeStatus, *, proof: str | None = None, reason: str = ""
    ) -> list[str]:
        """Settle a goal and propagate. Returns every node whose status changed, in order of change."""
        if status is NodeStatus.proved and proof is None:
            raise ValueError("a proved goal needs its proof")
        changed: list[str] = []
        self._settle(goal_node, status, proof=proof, reason=reason, changed=changed)
        return changed

    def _settle(
        self, node: str, status: NodeStatus, *, proof: str | None, reason: str, changed: list[str]
    ) -> None:
        data = self.graph.nodes[node]
        if data["status"].terminal:
            return
        self._set_status(node, status)
        if reason:
            data["reason"] = reason
        if proof is not None:
            data["proof"] = proof
        changed.append(node)
        # Downwards: a settled node no longer needs its open decompositions / subgoals.
        for child in list(self.children(node)):
            kind = self.kind(child)
            if kind is not NodeKind.attempt and not self.status(child).terminal:  # noqa: SIM102
                if kind is NodeKind.decomposition or not self._needed(child):
                    self._settle(child, NodeStatus.pruned, proof=None, reason="", changed=changed)
        # Upwards.
        for parent in list(self.parents(node)):
            self._propagate_up(parent, node, status, changed)

    def _needed(self, goal_node: str) -> bool:
        """Whether some open decomposition (or the root position) still waits for this goal."""
        if goal_node == self.root:
            return True
        return any(not self.status(p).terminal for p in self.parents(goal_node))

    def _propagate_up(self, parent: str, child: str, child_status: NodeStatus, changed: list[str]) -> None:
        if self.status(parent).terminal:
            return
        match self.kind(parent):
            case NodeKind.decomposition:
                if child_status in (NodeStatus.refuted, NodeStatus.failed):
                    self._settle(
                        parent,
                        NodeStatus.failed,
                        proof=None,
                        reason=f"subgoal {child} {child_status}",
                        changed=changed,
                    )
                elif child_status is NodeStatus.proved and all(
                    self.status(c) is NodeStatus.proved for c in self.children(parent)
                ):
                    self._settle(parent, NodeStatus.proved, proof=None, reason="", changed=changed)
            case NodeKind.goal:
                if child_status is NodeStatus.proved and self.kind(child) is NodeKind.decomposition:
                    decomposition: Decomposition = self.graph.nodes[child]["decomposition"]
                    self.graph.nodes[parent]["via"] = child  # assembly follows this edge
                    self._settle(
                        parent,
                        NodeStatus.proved,
                        proof=decomposition.main_proof,
                        reason=decomposition.strategy,  # what closed it, like a strategy's Proved
                        changed=changed,
                    )
            case NodeKind.attempt:
                raise AssertionError("attempts have no children")

    def prune_unneeded(self, goals: Iterable[str]) -> list[str]:
        """Prune open goals that nothing needs any more; returns every node whose status changed."""
        changed: list[str] = []
        for goal in goals:
            if not self.status(goal).terminal and not self._needed(goal):
                self._settle(goal, NodeStatus.pruned, proof=None, reason="", changed=changed)
        return changed
