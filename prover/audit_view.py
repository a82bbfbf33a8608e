"""``prover audit`` for people: a table that reads at 80 columns, the counts, and which rows hit a time limit.

Results that depend on time limits can differ between runs (a loaded machine decides less); marking those
rows makes two runs' numbers explainable.
"""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from prover.smt.audit import AuditRow
from prover.types import SmtStatus

STATUS_COLOUR = {"valid": "green", "refuted": "bold red", "vacuous": "bold magenta", "unknown": "yellow"}
NAME_WIDTH = 28


def audit_table(title: str, rows: list[AuditRow]) -> Table:
    """Theorem, status (``*``: hit the time limit), one line of evidence, seconds: fits 80 columns."""
    table = Table(title=escape(title))
    longest = max((len(row.name) for row in rows), default=7)
    table.add_column("theorem", no_wrap=True, overflow="ellipsis", min_width=min(longest, NAME_WIDTH))
    table.add_column(
        "status",
        no_wrap=True,
        min_width=max(len(row.status.value) + row.timed_out for row in rows) if rows else 6,
    )
    table.add_column("evidence")  # may shrink; each row stays one line (a no-wrap Text, cut with …)
    table.add_column("s", no_wrap=True, justify="right", min_width=5)
    for row in rows:
        style = STATUS_COLOUR.get(row.status.value, "dim")
        mark = "*" if row.timed_out else ""
        evidence = row.evidence.strip().split("\n", 1)[0]
        table.add_row(
            escape(row.name),
            f"[{style}]{row.status.value}{mark}[/]",
            Text(evidence, no_wrap=True, overflow="ellipsis"),
            f"{row.elapsed_s:.2f}",
        )
    return table


def audit_summary(rows: list[AuditRow], timeout_s: float) -> list[str]:
    """The counts per status, then (when any) the rows that hit the time limit (plain text lines)."""
    counts = {status.value: sum(1 for row in rows if row.status is status) for status in SmtStatus}
    lines = [", ".join(f"{status}: {count}" for status, count in counts.items())]
    timed_out = [row.name for row in rows if row.timed_out]
    if timed_out:
        lines.append(
            f"* {len(timed_out)} hit the time limit (smt.timeout_s = {timeout_s:g} s; a rerun or --timeout "
            f"may decide them): {', '.join(timed_out)}"
        )
    return lines
