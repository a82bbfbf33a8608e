"""Views of a ``prover prove`` run for people and tools: live progress, summary table, JSON, VS Code lines.

Builds renderables and strings; the CLI prints them. Columns shown to people and editors are 1-based.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from prover.lean.diagnostics import vscode_line
from prover.search.events import EventKind, SearchEvent
from prover.search.prove_path import ProveRun
from prover.search.trace_view import failure_counts, failures_text
from prover.types import Message, ProofStatus, Severity

STATUS_STYLE = {
    ProofStatus.proved: "green",
    ProofStatus.not_proved: "red",
    ProofStatus.refuted: "magenta",
    ProofStatus.error: "red",
}


@dataclass
class LiveProgress:
    """Folds search events into one short status line (what ``rich.live.Live`` shows while proving).

    The line leads with "theorem n of N" so that, in a narrow terminal, only the least useful tail is cut."""

    total: int = 0  # theorems to prove (0: unknown)
    started: int = 0
    theorem: str = ""
    goals_open: int = 0
    goals_proved: int = 0
    llm_calls: int = 0
    tokens: int = 0
    lean_checks: int = 0
    finished: list[str] = field(default_factory=list)

    def update(self, event: SearchEvent) -> None:
        if event.kind is EventKind.theorem_finished:
            self.finished.append(f"{event.theorem}: {event.detail}")
            return
        if event.kind is EventKind.theorem_started:
            self.started += 1
        self.theorem = event.theorem or self.theorem
        if event.kind is not EventKind.attempt:
            self.goals_open, self.goals_proved = event.goals_open, event.goals_proved
        self.llm_calls = event.spent.llm_calls
        self.tokens = event.spent.tokens
        self.lean_checks = event.spent.lean_checks

    def render(self, width: int | None = None) -> Text:
        """The status line, cut with … to ``width`` columns (the terminal's) when given."""
        count = f"{self.started} of {self.total}" if self.total else str(self.started)
        line = Text(
            f"theorem {count}: {self.theorem} · goals {self.goals_open} open, {self.goals_proved} proved"
            f" · LLM {self.llm_calls} · Lean {self.lean_checks}",
            no_wrap=True,
            overflow="ellipsis",
        )
        if width is not None:
            line.truncate(width, overflow="ellipsis")
        return line


SHORT_REASON = 48
NAME_WIDTH = 36


def short_reason(reason: str, limit: int = SHORT_REASON) -> str:
    """The first line of ``reason``, cut at a word boundary to at most ``limit`` characters."""
    first = reason.strip().split("\n", 1)[0]
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def summary_table(run: ProveRun) -> Table:
    """Name, status and a one-line reason per theorem: fits 80 columns. The rest (costs, Lean's failures,
    the full reason) is in ``detail_lines`` (``-v``), the trace and ``--format json``."""
    table = Table(title=f"prover prove {run.report.source}")
    longest = max((len(t.result.name) for t in run.report.theorems), default=7)
    # Names stay whole up to NAME_WIDTH characters and statuses always; the reason takes what is left.
    table.add_column("theorem", no_wrap=True, overflow="ellipsis", min_width=min(longest, NAME_WIDTH))
    table.add_column("status", no_wrap=True, min_width=len("not proved"))
    table.add_column("reason")  # may shrink; each reason stays one line (a no-wrap Text, cut with …)
    for theorem in run.report.theorems:
        result = theorem.result
        style = STATUS_STYLE[result.status]
        table.add_row(
            escape(result.name),
            f"[{style}]{result.status.value.replace('_', ' ')}[/]",
            Text(short_reason(result.reason), no_wrap=True, overflow="ellipsis"),
        )
    return table


def detail_lines(run: ProveRun) -> list[str]:
    """Per theorem: costs, why Lean rejected attempts, and the full reason (plain text, for ``-v``)."""
    lines = []
    for theorem in run.report.theorems:
        result = theorem.result
        costs = (
            f"{result.llm_calls} LLM calls, {result.tokens} tokens, {result.lean_checks} Lean checks,"
            f" {result.elapsed_s:.1f}s"
        )
        failures = failures_text(failure_counts(theorem.trace))
        lines.append(f"{result.name}: {costs}" + (f"; Lean failures: {failures}" if failures else ""))
        if result.status is not ProofStatus.proved:
            lines.append(f"  reason: {result.reason}")
    return lines


def as_json(run: ProveRun) -> str:
    payload: dict[str, Any] = {
        "source": run.report.source,
        "all_proved": run.report.all_proved,
        "written": str(run.written) if run.written else None,
        "backup": str(run.backup) if run.backup else None,
        "traces": [str(p) for p in run.traces],
        "write_error": run.write_error or None,
        "rescued": str(run.rescued) if run.rescued else None,
        "theorems": [
            {
                **t.result.model_dump(mode="json"),
                "line": t.pos.line,
                "column": t.pos.column + 1,
                "failures": {kind.value: n for kind, n in failure_counts(t.trace).items()},
            }
            for t in run.report.theorems
        ],
    }
    return json.dumps(payload, indent=2)


def as_vscode(run: ProveRun) -> str:
    """One line per theorem in ``prover check``'s ``vscode`` format, so one problem matcher reads both."""
    lines = []
    for theorem in run.report.theorems:
        result = theorem.result
        severity = Severity.info if result.status is ProofStatus.proved else Severity.warning
        text = f"{result.name} {result.status.value.replace('_', ' ')}: {result.reason}"
        message = Message(severity=severity, pos=theorem.pos, text=text)
        lines.append(vscode_line(run.report.source, run.report.original, message))
    return "\n".join(lines)
