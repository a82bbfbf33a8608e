"""``prover audit --format vscode``: one problem-matcher line per audited theorem, at its keyword.

A refuted statement is an error, a vacuous one a warning (true, but for no input), the rest information.
For a dataset ``.jsonl`` the position is the line of the theorem's row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from prover.lean.diagnostics import vscode_line
from prover.lean.text import parse_file
from prover.smt.audit import AuditRow
from prover.types import Message, Pos, Severity, SmtStatus

SEVERITY = {SmtStatus.refuted: Severity.error, SmtStatus.vacuous: Severity.warning}


def _positions(source: Path, text: str) -> dict[str, tuple[Pos, Pos]]:
    if source.suffix == ".jsonl":
        found: dict[str, tuple[Pos, Pos]] = {}
        for number, line in enumerate(text.split("\n"), start=1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            name = row.get("name") if isinstance(row, dict) else None
            if isinstance(name, str):
                found.setdefault(name, (Pos(line=number, column=0), Pos(line=number, column=len(line))))
        return found
    parsed = parse_file(text)
    return {d.name: (d.keyword_span.start, d.keyword_span.end) for d in parsed.declarations} | {
        d.full_name: (d.keyword_span.start, d.keyword_span.end) for d in parsed.declarations
    }


def audit_vscode(source: Path, rows: Sequence[AuditRow]) -> str:
    """The audit of ``source`` as ``FILE:LINE:COL:END_LINE:END_COL: SEVERITY: TEXT`` lines."""
    text = source.read_text(encoding="utf-8")
    positions = _positions(source, text)
    lines = []
    for row in rows:
        start, end = positions.get(row.name, (Pos(line=1, column=0), Pos(line=1, column=0)))
        detail = f": {row.evidence}" if row.evidence else ""
        message = Message(
            severity=SEVERITY.get(row.status, Severity.info),
            pos=start,
            end_pos=end,
            text=f"theorem `{row.name}`: audit {row.status.value}{detail}",
        )
        lines.append(vscode_line(str(source), text, message))
    return "\n".join(lines)
