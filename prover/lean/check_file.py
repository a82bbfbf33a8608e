"""Check one Lean file through the configured backend (what ``prover check FILE`` runs).

Invariant: the positions of a ``FileCheck`` refer to the file exactly as the user wrote it, whatever the
backend did to the text (header split, body-relative server lines); each backend returns positions relative
to the text it was given, and the only rewrites done here keep lines and columns: a leading byte-order mark
(which editors do not count as a column) is dropped, and ``\\r\\n`` becomes ``\\n`` (the ``\\r`` ends a line).
"""

from __future__ import annotations

import logging
from pathlib import Path

from prover.errors import LeanSourceError
from prover.lean.backend import LeanBackend
from prover.lean.factory import open_backend
from prover.lean.guard import DEFAULT_IMPORT_ROOTS, Construct, Finding, scan_forbidden
from prover.lean.source import read_lean_file
from prover.settings import LeanSettings
from prover.types import CheckResult, Frozen, Message, Pos, Severity, Verdict

log = logging.getLogger(__name__)

_UNFINISHED = {
    Verdict.timeout: "Lean did not finish the check in time",
    Verdict.crash: "the Lean process died during the check",
    Verdict.backend_error: "the Lean backend could not check the file",
}


class FileCheck(Frozen):
    """What Lean said about one file. ``source`` is the text as read (after the rewrites above)."""

    path: str
    source: str
    verdict: Verdict
    messages: tuple[Message, ...]
    elapsed_s: float = 0.0


def explain(result: CheckResult) -> tuple[Message, ...]:
    """The messages to show for ``result``: Lean's, plus one error at the top when the check did not finish
    and nothing else says why."""
    reason = _UNFINISHED.get(result.verdict)
    if reason is None or result.errors:
        return result.messages
    note = Message(
        severity=Severity.error, pos=Pos(line=1, column=0), text=f"{result.verdict.value}: {reason}"
    )
    return (*result.messages, note)


# Constructs that make Lean run code while it elaborates the file (what ``--safe`` refuses).
RUNS_CODE = frozenset(
    {Construct.eval, Construct.run_command, Construct.io, Construct.unsafe, Construct.implemented_by,
     Construct.extern, Construct.meta_api}
)  # fmt: skip


def scan_warnings(source: str) -> tuple[Finding, ...]:
    """The forbidden-construct scan of a file about to be checked (``sorry`` and ``native_decide`` are
    Lean's to report, Mathlib/Aesop/Batteries imports are fine)."""
    return scan_forbidden(
        source, allow_sorry=True, allow_native_decide=True, allowed_imports=DEFAULT_IMPORT_ROOTS
    )


def as_warning(finding: Finding) -> Message:
    note = " (runs code while Lean checks the file)" if finding.kind in RUNS_CODE else ""
    return Message(
        severity=Severity.warning,
        pos=finding.pos,
        end_pos=finding.end_pos,
        text=f"prover scan: {finding.message}{note}",
    )


async def check_file(
    path: Path,
    lean: LeanSettings,
    *,
    backend: LeanBackend | None = None,
    timeout: float | None = None,
    safe: bool = False,
) -> FileCheck:
    """Read and check ``path`` in command mode. ``backend``: use this one (the caller closes it); by default
    one is opened for ``lean.backend`` and closed here.

    Checking a file is compiling it, as ``lake build`` does: ``#eval``, ``run_cmd`` and the like run code.
    The forbidden-construct scan runs first and its findings come back as warnings; with ``safe`` a finding
    that would run code refuses the check (``InputError``, exit 2) before Lean starts."""
    source = read_lean_file(path)
    findings = scan_warnings(source)
    running = [f for f in findings if f.kind in RUNS_CODE]
    if safe and running:
        first = running[0]
        more = f" (and {len(running) - 1} more)" if len(running) > 1 else ""
        raise LeanSourceError(
            f"refusing to check (--safe): {first.message}{more}", path=path, line=first.pos.line
        )
    owned = backend is None
    active = open_backend(lean) if backend is None else backend
    try:
        result = await active.check(source, timeout=lean.timeout_s if timeout is None else timeout)
    finally:
        if owned:
            await active.close()
    log.info("%s: %s in %.2f s", path, result.verdict.value, result.elapsed_s)
    return FileCheck(
        path=str(path),
        source=source,
        verdict=result.verdict,
        messages=(*(as_warning(f) for f in findings), *explain(result)),
        elapsed_s=result.elapsed_s,
    )
