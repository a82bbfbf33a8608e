"""``prover audit``: decide every theorem of a Lean file or a dataset, to catch misformalized statements.

A ``refuted`` row carries a confirmed counterexample (``counterexample``; ``evidence`` also names the
hypotheses read as definitions of functions or finite sets), a ``vacuous`` row the inconsistent hypotheses or
the one hypothesis that is false with the instance where it fails (``h₀ is false at n = 0``): a user can
check each by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from prover.errors import InputError, LeanSourceError
from prover.lean.source import read_lean_file
from prover.settings import SmtSettings
from prover.smt.core import OutsideFragment
from prover.smt.engine import SmtEngine
from prover.smt.statement import Declaration, query_from_declaration, split_declarations
from prover.types import Frozen, SmtResult, SmtStatus

WORKERS = 2  # threads, each with its own Z3 process: the audit is CPU-bound, and rows stay in file order


class AuditRow(Frozen):
    name: str
    status: SmtStatus
    evidence: str = ""  # counterexample, inconsistent hypotheses, or why undecided
    counterexample: dict[str, str] | None = None  # refuted: variable -> Lean value ({}: a closed statement)
    hints: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    timed_out: bool = False  # undecided because a time limit ran out: may differ between runs


AuditProgress = Callable[[int, int], None]
"""Called with (rows done, rows in all) after each row."""


def _no_progress(done: int, total: int) -> None:
    del done, total


_TIME_LIMIT_WORDS = ("time limit", "deadline", "timeout", "timed out")


def hit_time_limit(status: SmtStatus, evidence: str, elapsed_s: float, timeout_s: float) -> bool:
    """An ``unknown`` that a longer (or less loaded) run might decide."""
    if status is not SmtStatus.unknown:
        return False
    return elapsed_s >= timeout_s or any(word in evidence for word in _TIME_LIMIT_WORDS)


def evidence_of(result: SmtResult) -> str:
    if result.status is SmtStatus.refuted and result.model is not None:
        model = ", ".join(f"{name} = {value}" for name, value in result.model.items()) or "(closed statement)"
        return f"counterexample: {model}" + (f" ({result.reason})" if result.reason else "")
    return result.reason


def _row(name: str, result: SmtResult, timeout_s: float) -> AuditRow:
    evidence = evidence_of(result)
    return AuditRow(
        name=name,
        status=result.status,
        evidence=evidence,
        counterexample=result.model if result.status is SmtStatus.refuted else None,
        hints=result.hints,
        elapsed_s=result.elapsed_s,
        timed_out=hit_time_limit(result.status, evidence, result.elapsed_s, timeout_s),
    )


def audit_path(
    path: Path, settings: SmtSettings, *, progress: AuditProgress = _no_progress
) -> list[AuditRow]:
    """One row per theorem of ``path`` (a ``.lean`` file or a dataset ``.jsonl``), in file order.

    Input errors read like ``prove``'s and ``check``'s (one reader): ``InputError`` (exit 2) for a missing
    file, a directory, undecodable text, and a file without theorems."""
    if path.suffix not in (".jsonl", ".lean"):
        if not path.exists() or path.is_dir():
            read_lean_file(path)  # the shared messages: no such file / is a directory
        raise InputError("expected a .lean file or a dataset .jsonl", where=str(path))
    if path.suffix == ".jsonl":
        from prover.data.problems import load_problems

        read_lean_file(path)  # same checks and messages as a Lean file (exists, a file, UTF-8)
        problems = load_problems(path)
        if not problems:
            raise InputError("no theorems found", where=str(path))
        jobs = [(p.name, partial(_decide_statement, p.formal_statement)) for p in problems]
        return decide_all(jobs, settings, progress)
    return _audit_lean(path, settings, progress)


Decide = Callable[[SmtEngine], SmtResult]


def decide_all(
    jobs: Sequence[tuple[str, Decide]],
    settings: SmtSettings,
    progress: AuditProgress = _no_progress,
    *,
    workers: int = WORKERS,
) -> list[AuditRow]:
    """One row per job, in order, decided by ``workers`` threads with a Z3 engine (process) each."""
    local = threading.local()
    engines: list[SmtEngine] = []
    lock = threading.Lock()

    def run(name: str, decide: Decide) -> AuditRow:
        engine: SmtEngine | None = getattr(local, "engine", None)
        if engine is None:
            engine = local.engine = SmtEngine(settings)
            with lock:
                engines.append(engine)
        return _row(name, decide(engine), settings.timeout_s)

    rows: list[AuditRow | None] = [None] * len(jobs)
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = {pool.submit(run, name, decide): index for index, (name, decide) in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), 1):
            rows[futures[future]] = future.result()
            progress(done, len(jobs))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C or a failure: do not run the rest
        raise
    else:
        pool.shutdown()
    finally:
        with lock:
            for engine in engines:
                engine.close()
    return [row for row in rows if row is not None]


def _decide_statement(statement: str, engine: SmtEngine) -> SmtResult:
    return engine.decide_statement(statement)


def _decide_declaration(declaration: Declaration, engine: SmtEngine) -> SmtResult:
    started = time.monotonic()
    try:
        return engine.decide_query(query_from_declaration(declaration), started=started)
    except OutsideFragment as error:
        return SmtResult(
            status=SmtStatus.unsupported, reason=str(error), elapsed_s=time.monotonic() - started
        )


def _audit_lean(path: Path, settings: SmtSettings, progress: AuditProgress) -> list[AuditRow]:
    text = read_lean_file(path)
    try:
        declarations = split_declarations(text)
    except OutsideFragment as error:
        raise LeanSourceError(f"cannot split declarations: {error}", path=path) from error
    if not declarations:
        raise InputError("no theorems found", where=str(path))
    jobs = [(d.name, partial(_decide_declaration, d)) for d in declarations]
    return decide_all(jobs, settings, progress)
