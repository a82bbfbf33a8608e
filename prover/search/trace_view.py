"""Views of a saved trace for people: a rich tree for the terminal, Graphviz DOT, a standalone HTML page.

Builds renderables and strings only; the CLI prints them.
"""

from __future__ import annotations

import html

from rich.markup import escape
from rich.tree import Tree

from prover.search.trace import Trace, TraceNode
from prover.search.tree import NodeKind, NodeStatus

STATUS_COLOURS = {
    NodeStatus.open: "yellow",
    NodeStatus.proved: "green",
    NodeStatus.failed: "red",
    NodeStatus.refuted: "magenta",
    NodeStatus.pruned: "dim",
}
_DOT_SHAPES = {NodeKind.goal: "ellipse", NodeKind.attempt: "box", NodeKind.decomposition: "diamond"}
_HTML_COLOURS = {
    NodeStatus.open: "#b58900",
    NodeStatus.proved: "#2e7d32",
    NodeStatus.failed: "#c62828",
    NodeStatus.refuted: "#8e24aa",
    NodeStatus.pruned: "#888888",
}


def node_label(node: TraceNode) -> str:
    """One line describing a node: kind, name or strategy, verdict and what it cost."""
    match node.kind:
        case NodeKind.goal:
            return f"goal {node.name} (depth {node.depth})" + (f" — {node.reason}" if node.reason else "")
        case NodeKind.decomposition:
            strategy = node.decomposition.strategy if node.decomposition else "?"
            count = len(node.decomposition.subgoals) if node.decomposition else 0
            return f"AND {strategy}: {count} subgoals"
        case NodeKind.attempt:
            if node.attempt is None:
                return "attempt"
            record = node.attempt
            attempt = record.attempt
            verdict = attempt.verdict.value if attempt.verdict is not None else "not checked"
            costs = f"{record.lean_checks} checks, {record.llm_calls} calls, {record.tokens} tok"
            if attempt.cost_usd:
                costs += f", ${attempt.cost_usd:.4f}"
            note = f" — {attempt.note}" if attempt.note else ""
            return f"{attempt.strategy}: {verdict} ({costs}, {attempt.elapsed_s:.2f}s){note}"


def summary_line(trace: Trace) -> str:
    spent = trace.spent
    return (
        f"{trace.theorem}: {trace.status.value}"
        + (f" ({trace.reason})" if trace.reason else "")
        + f" — {spent.llm_calls} LLM calls, {spent.tokens} tokens, ${spent.cost_usd:.4f},"
        f" {spent.lean_checks} Lean checks, {trace.elapsed_s:.1f}s"
        + (f"; stopped: {trace.stopped}" if trace.stopped else "")
    )


def rich_tree(trace: Trace) -> Tree:
    """The tree as a rich ``Tree``; a goal shared by several parents is expanded once, then referenced."""
    top = Tree(escape(summary_line(trace)))
    expanded: set[str] = set()

    def add(parent: Tree, node_id: str) -> None:
        node = trace.node(node_id)
        colour = STATUS_COLOURS[node.status]
        label = f"[{colour}]{node.status.value}[/] {escape(node_label(node))}"
        if node_id in expanded:
            parent.add(label + " [dim](shared, shown above)[/]")
            return
        expanded.add(node_id)
        branch = parent.add(label)
        for child in trace.children(node_id):
            add(branch, child)

    add(top, trace.root)
    return top


def to_dot(trace: Trace) -> str:
    """Graphviz DOT text of the whole tree."""
    lines = [f"digraph {_dot_quote(trace.theorem)} {{", "  rankdir=TB;", '  node [fontname="monospace"];']
    for node in trace.nodes:
        colour = _HTML_COLOURS[node.status]
        lines.append(
            f"  {_dot_quote(node.id)} [label={_dot_quote(node_label(node))}, shape={_DOT_SHAPES[node.kind]},"
            f" color={_dot_quote(colour)}];"
        )
    for parent, child in trace.edges:
        lines.append(f"  {_dot_quote(parent)} -> {_dot_quote(child)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_html(trace: Trace) -> str:
    """A standalone page (no scripts, no external files): nested collapsible lists, proofs in <pre>."""
    expanded: set[str] = set()

    def item(node_id: str) -> str:
        node = trace.node(node_id)
        colour = _HTML_COLOURS[node.status]
        head = (
            f'<span class="status" style="color:{colour}">{node.status.value}</span> '
            f"{html.escape(node_label(node))}"
        )
        if node_id in expanded:
            return f"<li>{head} <em>(shared, shown above)</em></li>"
        expanded.add(node_id)
        body = ""
        proof = node.proof or (node.attempt.attempt.proof if node.attempt is not None else "")
        if node.statement:
            body += f"<pre>{html.escape(node.statement)}</pre>"
        if proof:
            body += f"<pre>{html.escape(proof)}</pre>"
        children = "".join(item(child) for child in trace.children(node_id))
        if children:
            body += f"<ul>{children}</ul>"
        return f"<li><details open><summary>{head}</summary>{body}</details></li>"

    final = f"<h2>Final proof</h2><pre>{html.escape(trace.final_proof)}</pre>" if trace.final_proof else ""
    problems = "".join(f"<li>{html.escape(p)}</li>" for p in trace.certification)
    certification = f"<h2>Certification problems</h2><ul>{problems}</ul>" if problems else ""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(trace.theorem)} — prover trace</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:.4em;"
        "white-space:pre-wrap}ul{list-style:none;padding-left:1.4em}.status{font-weight:bold}</style>"
        f"</head><body><h1>{html.escape(summary_line(trace))}</h1>{final}{certification}"
        f"<ul>{item(trace.root)}</ul></body></html>\n"
    )
