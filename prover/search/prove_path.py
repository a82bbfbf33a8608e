"""``prover prove FILE``: read the file, prove its theorems, write the result and the traces."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from prover.errors import InputError
from prover.lean.backend import LeanBackend
from prover.lean.source import read_lean_file
from prover.search.events import ProgressCallback, ignore_progress
from prover.search.output import write_atomic, write_in_place
from prover.search.prove_file import FileReport, prove_text
from prover.search.session import open_session
from prover.search.trace import save_trace
from prover.settings import Settings
from prover.types import Frozen


class ProveRun(Frozen):
    report: FileReport
    written: Path | None = None
    backup: Path | None = None
    traces: tuple[Path, ...] = ()


def prove_path(
    settings: Settings,
    path: Path,
    *,
    names: Sequence[str] = (),
    use_llm: bool = True,
    out: Path | None = None,
    in_place: bool = False,
    trace_dir: Path | None = None,
    on_event: ProgressCallback = ignore_progress,
    backend: LeanBackend | None = None,
) -> ProveRun:
    """Prove, then write: ``out`` (atomic), or ``path`` itself with ``PATH.bak`` (``in_place``), or nothing.

    Nothing is written before the search ends, so an interrupted run leaves every file as it was.
    """
    if out is not None and in_place:
        raise InputError("give --out or --in-place, not both")
    text = read_lean_file(path)

    async def run() -> FileReport:
        async with open_session(settings, use_llm=use_llm, on_event=on_event, backend=backend) as session:
            return await prove_text(session, text, names=names, source=str(path))

    report = asyncio.run(run())
    traces = tuple(save_trace(t.trace, trace_dir) for t in report.theorems) if trace_dir is not None else ()
    written: Path | None = None
    backup: Path | None = None
    if out is not None:
        write_atomic(out, report.text)
        written = out
    elif in_place:
        backup = write_in_place(path, text, report.text)
        written = path
    return ProveRun(report=report, written=written, backup=backup, traces=traces)
