"""Tracing a repository for LeanDojo, as an explicit step in a child process that a timeout or Ctrl-C kills.

LeanDojo traces a repository (clone, ``lake build``, ``ExtractData.lean`` over every file, ``lake build
Lean4Repl``) the first time a theorem of it is entered; that can take hours. ``prover dojo trace URL@COMMIT``
does it up front through ``trace_repository``: it runs ``python -m prover.lean.dojo_trace URL COMMIT`` in its
own process group, relays LeanDojo's log lines as progress, and kills the whole group on timeout or
cancellation. The child answers one JSON line on stdout: ``{"path": ...}`` (the traced repository in
LeanDojo's cache) or ``{"error": CLASS, "message": ..., "where": ...}`` (a ``dojo_failure`` of the project's
error tree), which the parent raises again.

Resuming: LeanDojo keeps a finished trace (and the repository's clone) in its cache (``CACHE_DIR``, default
``~/.cache/lean_dojo``); running the command again returns at once when the trace is there. A trace that was
stopped half-way starts over: LeanDojo builds in a temporary directory.

LeanDojo reads ``CACHE_DIR``, ``DISABLE_REMOTE_CACHE``, ``GITHUB_ACCESS_TOKEN`` and ``NUM_PROCS`` from the
environment when it is imported; the child inherits the caller's environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from prover.errors import (
    BackendError,
    ConfigError,
    DependencyError,
    InputError,
    LeanUnavailable,
    ProtocolError,
    ProverError,
)
from prover.lean.dojo import DojoRepo, dojo_failure, import_lean_dojo

log = logging.getLogger(__name__)

_ERRORS: dict[str, type[ProverError]] = {
    cls.__name__: cls
    for cls in (LeanUnavailable, ConfigError, InputError, DependencyError, BackendError, ProverError)
}


def trace_command(repo: DojoRepo) -> list[str]:
    return [sys.executable, "-m", "prover.lean.dojo_trace", repo.url, repo.commit]


async def trace_repository(
    repo: DojoRepo,
    *,
    timeout_s: float | None = None,
    progress: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    command: list[str] | None = None,
) -> Path:
    """Trace ``repo`` (or find its trace in LeanDojo's cache): the traced repository's path.

    ``progress`` receives LeanDojo's log lines. Past ``timeout_s``, or when cancelled, the child and all it
    started are killed; a timeout is ``LeanUnavailable`` saying how to resume. ``command`` replaces the child's
    argv (tests)."""
    child = await asyncio.create_subprocess_exec(
        *(command or trace_command(repo)),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env) if env is not None else None,
        start_new_session=True,  # its own process group: lake, lean and git die with it
    )
    assert child.stdout is not None and child.stderr is not None
    relay = asyncio.ensure_future(_relay(child.stderr, progress))
    try:
        out, _ = await asyncio.wait_for(asyncio.gather(child.stdout.read(), child.wait()), timeout_s)
    except TimeoutError as exc:
        raise LeanUnavailable(
            f"tracing {repo.spec} did not finish within {timeout_s:.0f} s and was stopped; run `prover dojo "
            "trace` again with a longer --timeout (a finished trace is kept in LeanDojo's cache)"
        ) from exc
    finally:
        _kill_group(child.pid)
        if child.returncode is None:
            await child.wait()
        await relay
    return _answer(repo, out.decode("utf-8", errors="replace"), child.returncode)


def _answer(repo: DojoRepo, out: str, status: int | None) -> Path:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise ProtocolError(
            f"tracing {repo.spec}: the tracing process exited with {status} without an answer"
        )
    answer = json.loads(lines[-1])
    if "path" in answer:
        return Path(answer["path"])
    error = _ERRORS.get(str(answer.get("error")), BackendError)
    raise error(str(answer.get("message")), where=answer.get("where"))


async def _relay(stream: asyncio.StreamReader, progress: Callable[[str], None] | None) -> None:
    async for raw in stream:
        line = raw.decode("utf-8", errors="replace").rstrip()
        if line:
            (progress or log.info)(line)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    """The child: trace ``URL COMMIT`` and print one JSON line (see the module docstring)."""
    url, commit = (argv if argv is not None else sys.argv[1:])[:2]
    repo = DojoRepo(url=url, commit=commit)
    what = f"tracing {repo.spec}"
    try:
        module = import_lean_dojo()
        try:
            path = module.get_traced_repo_path(module.LeanGitRepo(url, commit))
        except Exception as exc:  # everything the real package raises, mapped to the project's tree
            raise dojo_failure(exc, what=what, module=module) from exc
    except ProverError as error:
        answer = {"error": type(error).__name__, "message": error.message, "where": error.where}
        sys.stdout.write(json.dumps(answer) + "\n")
        return 1
    sys.stdout.write(json.dumps({"path": str(path)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
