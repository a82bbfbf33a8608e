"""Views of a saved trace for people: a rich tree for the terminal, Graphviz DOT, a standalone HTML page.

Builds renderables and strings only; the CLI prints them.
"""

from __future__ import annotations

import html

from rich.markup import escape
from rich.tree import Tree

from prover.lean.failure_kinds import FailureKind, count_verdict_failures, merge_counts
from prover.search.trace import Trace, TraceNode
from prover.search.tree import NodeKind, NodeStatus
from prover.types import Severity

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
            note = node.decomposition.note if node.decomposition else ""
            return f"AND {strategy}: {count} subgoals" + (f" — {note}" if note else "")
        case NodeKind.attempt:
            if node.attempt is None:
                return "attempt"
            record = node.attempt
            attempt = record.attempt
            costs = f"{record.lean_checks} checks, {record.llm_calls} calls, {record.tokens} tok"
            if attempt.cost_usd:
                costs += f", ${attempt.cost_usd:.4f}"
            note = f" — {attempt.note}" if attempt.note else ""
            return f"{attempt_what(node)} ({costs}, {attempt.elapsed_s:.2f}s){note}"


TACTIC_CHARS = 60
COLLAPSED_NOTES = ("draft:",)  # attempt records whose long text the HTML page shows collapsed


def first_error(node: TraceNode) -> str:
    """The first line of Lean's first error on an attempt (empty when none)."""
    if node.attempt is None:
        return ""
    for message in node.attempt.attempt.messages:
        if message.severity is Severity.error:
            return message.text.strip().split("\n", 1)[0]
    return ""


def attempt_what(node: TraceNode) -> str:
    """``strategy `tactic`: verdict: first line of Lean's error`` — what was tried and why it failed."""
    if node.attempt is None:
        return "attempt"
    attempt = node.attempt.attempt
    verdict = attempt.verdict.value if attempt.verdict is not None else "not checked"
    lines = [line.strip() for line in attempt.proof.strip().splitlines() if line.strip()]
    tactic = " ⏎ ".join(lines)
    if len(tactic) > TACTIC_CHARS:
        tactic = tactic[: TACTIC_CHARS - 1] + "…"
    shown = f" `{tactic}`" if tactic else ""
    error = first_error(node)
    return f"{attempt.strategy}{shown}: {verdict}" + (f": {error}" if error else "")


def _grouped_children(trace: Trace, node_id: str) -> list[tuple[str, int]]:
    """Children in order, identical failed leaf attempts (same strategy, proof, verdict, error) folded into
    the first of them with a count."""
    groups: dict[tuple[str, ...], int] = {}
    order: list[tuple[str, int]] = []
    for child in trace.children(node_id):
        node = trace.node(child)
        if node.kind is NodeKind.attempt and node.status is NodeStatus.failed and not trace.children(child):
            # The note tells apart records that share a proof text (a decomposition's rejected sketches).
            key = (node.status.value, attempt_what(node), node.attempt.attempt.note if node.attempt else "")
            if key in groups:
                position = groups[key]
                order[position] = (order[position][0], order[position][1] + 1)
                continue
            groups[key] = len(order)
        order.append((child, 1))
    return order


def failure_counts(trace: Trace) -> dict[FailureKind, int]:
    """Why Lean rejected the attempts of a search, by kind (``prover.lean.failure_kinds``), in kind order."""
    counts = [
        count_verdict_failures(node.attempt.attempt.verdict, node.attempt.attempt.messages)
        for node in trace.nodes
        if node.attempt is not None and node.attempt.attempt.verdict is not None
    ]
    return merge_counts(*counts)


def failures_text(counts: dict[FailureKind, int]) -> str:
    """``unknown_identifier 2, linarith_failed 1`` (empty when nothing failed)."""
    return ", ".join(f"{kind.value} {n}" for kind, n in counts.items())


def summary_line(trace: Trace) -> str:
    spent = trace.spent
    failures = failures_text(failure_counts(trace))
    return (
        f"{trace.theorem}: {trace.status.value}"
        + (f" ({trace.reason})" if trace.reason else "")
        + f" — {spent.llm_calls} LLM calls, {spent.tokens} tokens, ${spent.cost_usd:.4f},"
        f" {spent.lean_checks} Lean checks, {trace.elapsed_s:.1f}s"
        + (f"; stopped: {trace.stopped}" if trace.stopped else "")
        + (f"; Lean failures: {failures}" if failures else "")
    )


def rich_tree(trace: Trace) -> Tree:
    """The tree as a rich ``Tree``; a goal shared by several parents is expanded once, then referenced."""
    top = Tree(escape(summary_line(trace)))
    expanded: set[str] = set()

    def add(parent: Tree, node_id: str, times: int = 1) -> None:
        node = trace.node(node_id)
        colour = STATUS_COLOURS[node.status]
        label = f"[{colour}]{node.status.value}[/] {escape(node_label(node))}"
        if times > 1:
            label += f" [bold]×{times}[/]"
        if node_id in expanded:
            parent.add(label + " [dim](shared, shown above)[/]")
            return
        expanded.add(node_id)
        branch = parent.add(label)
        for child, count in _grouped_children(trace, node_id):
            add(branch, child, count)

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

    def item(node_id: str, times: int = 1) -> str:
        node = trace.node(node_id)
        colour = _HTML_COLOURS[node.status]
        head = (
            f'<span class="status" style="color:{colour}">{node.status.value}</span> '
            f"{html.escape(node_label(node))}" + (f" <strong>×{times}</strong>" if times > 1 else "")
        )
        if node_id in expanded:
            return f"<li>{head} <em>(shared, shown above)</em></li>"
        expanded.add(node_id)
        body = ""
        proof = node.proof or (node.attempt.attempt.proof if node.attempt is not None else "")
        if node.statement:
            body += f"<pre>{html.escape(node.statement)}</pre>"
        if node.kind is NodeKind.decomposition and node.decomposition is not None:
            proof = node.decomposition.main_proof  # the parent's proof citing its subgoals
        if proof and node.attempt is not None and node.attempt.attempt.note.startswith(COLLAPSED_NOTES):
            body += f"<details><summary>text</summary><pre>{html.escape(proof)}</pre></details>"
        elif proof:
            body += f"<pre>{html.escape(proof)}</pre>"
        children = "".join(item(child, count) for child, count in _grouped_children(trace, node_id))
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
