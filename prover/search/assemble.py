"""Assemble the proof of a proved goal from the tree: auxiliary lemmas (from decompositions) plus its proof.

Follows, for each proved goal, the edge that proved it (``SearchTree.proved_via``): a decomposition contributes
its subgoals as lemmas, each under the name that decomposition cites, before the main proof. Lemmas appear
before their first use and each only once. The result is a candidate only: certification decides.
"""

from __future__ import annotations

from prover.search.tree import NodeStatus, SearchTree
from prover.types import Frozen


class AssembledProof(Frozen):
    lemmas: tuple[str, ...] = ()  # full declarations (``theorem NAME … := proof``), in dependency order
    proof: str  # the text after ``:=`` of the goal itself

    def declarations(self, statement: str) -> str:
        """The lemmas then ``statement := proof``, as Lean text."""
        parts = [*self.lemmas, f"{statement.rstrip()} := {self.proof.strip()}"]
        return "\n\n".join(parts) + "\n"


def assemble(tree: SearchTree, goal_node: str) -> AssembledProof:
    """The proof of ``goal_node``; raises ``ValueError`` when it (or a needed subgoal) is not proved."""
    lemmas: list[str] = []
    proof = _assemble(tree, goal_node, lemmas, visiting=set())
    return AssembledProof(lemmas=tuple(dict.fromkeys(lemmas)), proof=proof)


def _assemble(tree: SearchTree, goal_node: str, lemmas: list[str], visiting: set[str]) -> str:
    if tree.status(goal_node) is not NodeStatus.proved:
        raise ValueError(f"goal {tree.goal(goal_node).name} is {tree.status(goal_node)}, not proved")
    if goal_node in visiting:
        raise ValueError(f"goal {tree.goal(goal_node).name} depends on itself")
    via = tree.proved_via(goal_node)
    if via is None:
        proof = tree.proof(goal_node)
        assert proof is not None  # settle_goal refuses a proved goal without a proof
        return proof
    visiting.add(goal_node)
    decomposition = tree.decomposition(via)
    for subgoal in decomposition.subgoals:
        sub_proof = _assemble(tree, tree.goal_id(subgoal), lemmas, visiting)
        lemmas.append(f"{subgoal.statement.rstrip()} := {sub_proof.strip()}")
    visiting.discard(goal_node)
    return decomposition.main_proof
