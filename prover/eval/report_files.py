"""Write a run's report files: ``summary.json``, ``pass_rate.png`` and ``report.md`` (atomic writes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from prover.eval.plots import pass_rate_png
from prover.eval.report import AUDIT_FILE, SUMMARY_FILE, Summary, summarize
from prover.eval.views import report_markdown
from prover.search.output import write_atomic
from prover.settings import SmtSettings
from prover.smt.audit import AuditRow
from prover.types import Problem

REPORT_FILE = "report.md"
PNG_FILE = "pass_rate.png"


def write_report(run_dir: Path, *, plot: bool = True) -> Summary:
    """Summarize ``run_dir`` and write its report files; the PNG only when ``plot`` (matplotlib installed)."""
    summary = summarize(run_dir)
    write_atomic(run_dir / SUMMARY_FILE, summary.model_dump_json(indent=2) + "\n")
    png = pass_rate_png(summary, run_dir / PNG_FILE).name if plot else None
    write_atomic(run_dir / REPORT_FILE, report_markdown(summary, png))
    return summary


def write_audit(run_dir: Path, rows: list[AuditRow]) -> Path:
    """Store the audit of a run's statements (what ``prover audit --format json`` prints)."""
    path = run_dir / AUDIT_FILE
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps([row.model_dump(mode="json") for row in rows], indent=1) + "\n")
    return path


def audit_problems(settings: SmtSettings, problems: Sequence[Problem]) -> list[AuditRow]:
    """Z3's verdict on each statement, as ``prover audit`` gives it (refuted and vacuous ones are reported
    apart: a wrong statement is not a failure of the prover)."""
    from prover.smt.audit import evidence_of
    from prover.smt.engine import SmtEngine

    rows: list[AuditRow] = []
    with SmtEngine(settings) as engine:
        for problem in problems:
            result = engine.decide_statement(problem.formal_statement)
            rows.append(
                AuditRow(
                    name=problem.name,
                    status=result.status,
                    evidence=evidence_of(result),
                    hints=result.hints,
                    elapsed_s=result.elapsed_s,
                )
            )
    return rows
