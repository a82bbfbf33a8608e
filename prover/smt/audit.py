"""``prover audit``: decide every theorem of a Lean file or a dataset, to catch misformalized statements.

A ``refuted`` row carries a confirmed counterexample, a ``vacuous`` row the inconsistent hypotheses.
"""

from __future__ import annotations

import time
from pathlib import Path

from prover.errors import InputError, LeanSourceError
from prover.settings import SmtSettings
from prover.smt.core import OutsideFragment
from prover.smt.engine import SmtEngine
from prover.smt.statement import query_from_declaration, split_declarations
from prover.types import Frozen, SmtResult, SmtStatus


class AuditRow(Frozen):
    name: str
    status: SmtStatus
    evidence: str = ""  # counterexample, inconsistent hypotheses, or why undecided
    hints: tuple[str, ...] = ()
    elapsed_s: float = 0.0


def evidence_of(result: SmtResult) -> str:
    if result.status is SmtStatus.refuted and result.model is not None:
        model = ", ".join(f"{name} = {value}" for name, value in result.model.items()) or "(closed statement)"
        return f"counterexample: {model}"
    return result.reason


def _row(name: str, result: SmtResult) -> AuditRow:
    return AuditRow(
        name=name,
        status=result.status,
        evidence=evidence_of(result),
        hints=result.hints,
        elapsed_s=result.elapsed_s,
    )


def audit_path(path: Path, settings: SmtSettings) -> list[AuditRow]:
    """One row per theorem of ``path`` (a ``.lean`` file or a dataset ``.jsonl``), in file order."""
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    with SmtEngine(settings) as engine:
        match path.suffix:
            case ".jsonl":
                from prover.data.problems import load_problems

                return [
                    _row(p.name, engine.decide_statement(p.formal_statement)) for p in load_problems(path)
                ]
            case ".lean":
                return _audit_lean(path, engine)
            case _:
                raise InputError("expected a .lean file or a dataset .jsonl", where=str(path))


def _audit_lean(path: Path, engine: SmtEngine) -> list[AuditRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LeanSourceError(f"cannot read: {error}", path=path) from error
    rows = []
    try:
        declarations = split_declarations(text)
    except OutsideFragment as error:
        raise LeanSourceError(f"cannot split declarations: {error}", path=path) from error
    for declaration in declarations:
        started = time.monotonic()
        try:
            result = engine.decide_query(query_from_declaration(declaration), started=started)
        except OutsideFragment as error:
            result = SmtResult(
                status=SmtStatus.unsupported, reason=str(error), elapsed_s=time.monotonic() - started
            )
        rows.append(_row(declaration.name, result))
    return rows
