"""Search traces: the tree of one theorem as JSON (nodes, edges, attempts, budgets), enough to replay a run.

Attempts carry the ids of their LLM responses in the response cache (``cache_keys``), their Lean verdicts and
messages, timings and costs; replaying a run means feeding those cached responses and rechecking the proofs.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from prover.errors import InputError
from prover.search.budget import Spent
from prover.search.tree import AttemptRecord, Decomposition, NodeKind, NodeStatus, SearchTree
from prover.types import Frozen, ProofStatus

TRACE_VERSION = 1


class TraceNode(Frozen):
    id: str
    kind: NodeKind
    status: NodeStatus
    name: str = ""  # goal name
    statement: str = ""  # goal statement
    depth: int = 0
    proof: str | None = None
    reason: str = ""
    attempt: AttemptRecord | None = None
    decomposition: Decomposition | None = None


class Trace(Frozen):
    version: int = TRACE_VERSION
    theorem: str
    status: ProofStatus
    reason: str = ""
    lean_profile: str = ""
    root: str
    stopped: str = ""
    elapsed_s: float = 0.0
    spent: Spent = Spent()
    final_proof: str | None = None
    certification: tuple[str, ...] = ()  # problems found by certification (empty when it passed)
    nodes: tuple[TraceNode, ...] = ()
    edges: tuple[tuple[str, str], ...] = ()

    def node(self, node_id: str) -> TraceNode:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def children(self, node_id: str) -> tuple[str, ...]:
        return tuple(child for parent, child in self.edges if parent == node_id)


def nodes_of(tree: SearchTree) -> tuple[tuple[TraceNode, ...], tuple[tuple[str, str], ...]]:
    """The nodes and edges of a tree in trace form."""
    nodes: list[TraceNode] = []
    for node_id, data in tree.graph.nodes(data=True):
        goal = data.get("goal")
        nodes.append(
            TraceNode(
                id=node_id,
                kind=data["kind"],
                status=data["status"],
                name=goal.name if goal is not None else "",
                statement=goal.statement if goal is not None else "",
                depth=goal.depth if goal is not None else 0,
                proof=data.get("proof"),
                reason=data.get("reason", ""),
                attempt=data.get("record"),
                decomposition=data.get("decomposition"),
            )
        )
    edges = tuple((str(parent), str(child)) for parent, child in tree.graph.edges())
    return tuple(nodes), edges


def trace_file_name(theorem: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in theorem)
    return f"{safe or 'theorem'}.trace.json"


def save_trace(trace: Trace, directory: Path) -> Path:
    """Write ``trace`` into ``directory`` (created when missing); returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / trace_file_name(trace.theorem)
    path.write_text(trace.model_dump_json(indent=1), encoding="utf-8")
    return path


def load_trace(path: Path) -> Trace:
    """Read a trace; ``InputError`` (exit 2) when the file is missing or not a trace."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read trace: {exc.strerror}", where=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} (line {exc.lineno})", where=str(path)) from exc
    try:
        trace = Trace.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise InputError(f"not a prover trace: {key}: {first['msg']}", where=str(path)) from exc
    if trace.version != TRACE_VERSION:
        raise InputError(f"trace version {trace.version} is not {TRACE_VERSION}", where=str(path))
    return trace
