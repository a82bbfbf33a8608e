"""``prover prove FILE``: check every input and output first, prove, then write the result and the traces.

Order matters for the user's time: ``plan_prove`` reads the file, selects the theorems and checks that every
output (``--out``, ``--in-place``, ``--trace``) can be written before any search starts. Nothing is written
before the search ends, so an interrupted run leaves every file as it was. Should a write still fail at the
end (a directory removed meanwhile, a full disk), the results are saved beside the input instead and the run
says where (``ProveRun.rescued``), so no finished search is thrown away.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from prover.errors import InputError
from prover.lean.backend import LeanBackend
from prover.lean.source import read_lean_file
from prover.lean.text import parse_file
from prover.search.events import ProgressCallback, ignore_progress
from prover.search.output import check_output_dir, check_output_file, write_atomic, write_in_place
from prover.search.prove_file import FileReport, prove_text, select_theorems
from prover.search.session import open_session
from prover.search.trace import save_trace
from prover.settings import Settings
from prover.types import Frozen

log = logging.getLogger(__name__)


class ProvePlan(Frozen):
    """A checked request: the file's text, the theorems to prove, and outputs known to be writable."""

    path: Path
    text: str
    theorems: tuple[str, ...]
    names: tuple[str, ...] = ()  # as the user gave them (--theorem)
    out: Path | None = None
    in_place: bool = False
    trace_dir: Path | None = None


class ProveRun(Frozen):
    report: FileReport
    written: Path | None = None
    backup: Path | None = None
    traces: tuple[Path, ...] = ()
    write_error: str = ""  # why an output could not be written at the end
    rescued: Path | None = None  # where the results went instead


def plan_prove(
    path: Path,
    *,
    names: Sequence[str] = (),
    out: Path | None = None,
    in_place: bool = False,
    trace_dir: Path | None = None,
) -> ProvePlan:
    """Read ``path``, select its theorems and check every output path; ``InputError`` (exit 2) otherwise."""
    if out is not None and in_place:
        raise InputError("give --out or --in-place, not both")
    text = read_lean_file(path)
    selected = select_theorems(parse_file(text), names, str(path))
    if out is not None:
        check_output_file(out, "--out")
    if in_place:
        check_output_file(path, "--in-place")
    if trace_dir is not None:
        check_output_dir(trace_dir, "--trace")
    return ProvePlan(
        path=path,
        text=text,
        theorems=tuple(d.name for d in selected),
        names=tuple(names),
        out=out,
        in_place=in_place,
        trace_dir=trace_dir,
    )


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
    plan: ProvePlan | None = None,
) -> ProveRun:
    """Prove, then write: ``out`` (atomic), or ``path`` itself with ``PATH.bak`` (``in_place``), or nothing.

    ``plan``: the result of ``plan_prove`` when the caller already made it (the other arguments naming
    the file and outputs are then ignored)."""
    if plan is None:
        plan = plan_prove(path, names=names, out=out, in_place=in_place, trace_dir=trace_dir)

    async def run() -> FileReport:
        async with open_session(settings, use_llm=use_llm, on_event=on_event, backend=backend) as session:
            return await prove_text(session, plan.text, names=plan.names, source=str(plan.path))

    return write_results(plan, asyncio.run(run()))


def write_results(plan: ProvePlan, report: FileReport) -> ProveRun:
    """Write the traces and the new text as planned; on failure save them beside the input instead."""
    traces: list[Path] = []
    written: Path | None = None
    backup: Path | None = None
    try:
        if plan.trace_dir is not None:
            for theorem in report.theorems:
                traces.append(save_trace(theorem.trace, plan.trace_dir))
        if plan.out is not None:
            write_atomic(plan.out, report.text)
            written = plan.out
        elif plan.in_place:
            backup = write_in_place(plan.path, plan.text, report.text)
            written = plan.path
    except (InputError, OSError) as error:
        reason = str(error) if isinstance(error, InputError) else f"{error.filename}: {error.strerror}"
        rescued = _rescue(plan, report)
        log.error("could not write the results (%s); saved them in %s", reason, rescued)
        return ProveRun(
            report=report, backup=backup, traces=tuple(traces), write_error=reason, rescued=rescued
        )
    return ProveRun(report=report, written=written, backup=backup, traces=tuple(traces))


def _rescue(plan: ProvePlan, report: FileReport) -> Path:
    """A new folder beside the input (or in the temporary directory) with the new text and the traces."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for parent in (plan.path.parent, Path(tempfile.gettempdir())):
        if not os.access(parent, os.W_OK | os.X_OK):
            continue
        try:
            folder = Path(tempfile.mkdtemp(prefix=f"{plan.path.stem}.prover-{stamp}-", dir=parent))
            write_atomic(folder / plan.path.name, report.text)
            for theorem in report.theorems:
                save_trace(theorem.trace, folder / "traces")
        except (InputError, OSError):
            continue
        return folder
    raise InputError("cannot save the results anywhere (input folder and temporary folder)")
