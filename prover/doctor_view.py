"""``prover doctor`` for people: a table of checks, then each fix on a line of its own.

A fix is a command to copy and paste, so it is never put in a table cell, where a narrow terminal would
wrap it mid-URL or mid-path; the CLI prints each fix line without wrapping.
"""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from prover.doctor import CheckStatus, DoctorRow

_COLOUR = {
    CheckStatus.ok: "green",
    CheckStatus.missing: "red",
    CheckStatus.warn: "yellow",
    CheckStatus.off: "dim",
}


def status_text(row: DoctorRow) -> str:
    return row.status.value + ("" if row.required or row.status is CheckStatus.ok else " (optional)")


def doctor_table(rows: list[DoctorRow]) -> Table:
    """Check, status and detail; a row with a fix points to it by number (``fix 2``)."""
    table = Table(title="prover doctor")
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    number = 0
    for row in rows:
        detail = escape(row.detail)
        if row.fix:
            number += 1
            detail += f" [bold](fix {number})[/]"
        table.add_row(escape(row.name), f"[{_COLOUR[row.status]}]{status_text(row)}[/]", detail)
    return table


def fix_lines(rows: list[DoctorRow]) -> list[str]:
    """``fix N (check): command`` for every row with a fix, in table order (plain text, no markup)."""
    fixes = [row for row in rows if row.fix]
    return [f"fix {n} ({row.name}): {row.fix}" for n, row in enumerate(fixes, start=1)]
