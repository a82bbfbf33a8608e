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
from prover.types import Message, ProofStatus, Severity

STATUS_STYLE = {
    ProofStatus.proved: "green",
    ProofStatus.not_proved: "red",
    ProofStatus.refuted: "magenta",
    ProofStatus.error: "red",
}


@dataclass
class LiveProgress:
    """Folds search events into one status line (what ``rich.live.Live`` shows while proving)."""

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
        self.theorem = event.theorem or self.theorem
        if event.kind is not EventKind.attempt:
            self.goals_open, self.goals_proved = event.goals_open, event.goals_proved
        self.llm_calls = event.spent.llm_calls
        self.tokens = event.spent.tokens
        self.lean_checks = event.spent.lean_checks

    def render(self) -> Text:
        done = f" [{len(self.finished)} done]" if self.finished else ""
        return Text(
            f"proving {self.theorem}{done}: goals open {self.goals_open}, proved {self.goals_proved} | "
            f"LLM calls {self.llm_calls}, tokens {self.tokens} | Lean checks {self.lean_checks}"
        )


def summary_table(run: ProveRun) -> Table:
    table = Table(title=f"prover prove {run.report.source}")
    for column in ("theorem", "status", "reason", "LLM calls", "tokens", "Lean checks", "time"):
        table.add_column(column, overflow="fold")
    for theorem in run.report.theorems:
        result = theorem.result
        style = STATUS_STYLE[result.status]
        table.add_row(
            escape(result.name),
            f"[{style}]{result.status.value}[/]",
            escape(result.reason),
            str(result.llm_calls),
            str(result.tokens),
            str(result.lean_checks),
            f"{result.elapsed_s:.1f}s",
        )
    return table


def as_json(run: ProveRun) -> str:
    payload: dict[str, Any] = {
        "source": run.report.source,
        "all_proved": run.report.all_proved,
        "written": str(run.written) if run.written else None,
        "backup": str(run.backup) if run.backup else None,
        "traces": [str(p) for p in run.traces],
        "theorems": [
            {**t.result.model_dump(mode="json"), "line": t.pos.line, "column": t.pos.column + 1}
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
