"""``ReplBackend``: a pool of K processes of the Lean REPL, the default ``LeanBackend``.

How a check runs: the snippet's header (leading ``import``/``open``/``set_option`` lines, see
``repl_protocol.split_header``) is elaborated once per process, and the rest runs as ``{"cmd": body, "env":
header_env}``; processes are keyed by header (a worker whose process has another header restarts it).
Positions in the answer are shifted back so they refer to the text the caller passed in. A header that Lean
rejects is not reused: the whole text is then checked at once, so its errors appear where they are.

Timeouts: the body of a check and a tactic get ``timeout`` (default ``lean.timeout_s``), elaborating a header
gets ``lean.import_timeout_s``; waiting for a free worker is not counted. The REPL has no timeout of its own:
on expiry the process is killed and the answer is a ``timeout`` verdict. A process that dies gives ``crash``,
one that answers garbage gives ``backend_error``; either way the worker starts a new process on next use.
A process is also retired after ``max_requests_per_process`` requests or when its resident memory passes
``memory_limit_mb``; proof states of a retired process are stale (``StaleStateError``).

``check(code, fresh=True)`` runs the whole text in a new environment (no header reuse): what ``certify``
needs. ``exchange(payload)`` sends one raw REPL request to one worker, for tools and conformance tests.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prover.errors import BackendError, LeanUnavailable, ProtocolError, StaleStateError
from prover.lean.backend import CAP_COMMAND, CAP_PICKLE, CAP_SORRY_STATES, CAP_TACTICS
from prover.lean.process import ProcessDied, ProcessTimedOut, ReplProcess
from prover.lean.repl_protocol import (
    ReplFailure,
    StateFactory,
    parse_command_response,
    parse_tactic_response,
    split_header,
)
from prover.settings import LeanSettings
from prover.types import (
    CheckResult,
    Frozen,
    Message,
    Pos,
    Severity,
    StateRef,
    StepResult,
    StepStatus,
    Verdict,
)

log = logging.getLogger(__name__)

BACKEND_NAME = "repl"
REPL_BINARY = Path(".lake/packages/REPL/.lake/build/bin/repl")
MEMORY_CHECK_INTERVAL_S = 1.0


class PoolStats(Frozen):
    """Counters of one pool since it was made (for benches and tests)."""

    processes_started: int
    headers_elaborated: int
    requests: int
    timeouts: int
    crashes: int
    retired_for_memory: int
    retired_for_age: int


def default_repl_command(lean: LeanSettings) -> tuple[list[str], Path]:
    """``lake env <project>/.lake/packages/REPL/.lake/build/bin/repl`` run in the project; ``LeanUnavailable``
    with the fix when lake or the built REPL is missing."""
    project = lean.resolved_project_dir()
    lake = shutil.which("lake")
    if lake is None:
        raise LeanUnavailable(
            "lake not found on PATH; install elan (https://github.com/leanprover/elan) and run "
            f"`lake build` in {project}"
        )
    binary = project / REPL_BINARY
    if not binary.is_file():
        raise LeanUnavailable(f"REPL binary missing at {binary}; run `lake build repl` in {project}")
    return [lake, "env", str(binary)], project


@dataclass
class _Worker:
    index: int
    process: ReplProcess | None = None
    generation: int = 0
    header: str | None = None
    header_env: int | None = None
    header_messages: tuple[Message, ...] = ()
    header_ok: bool = False
    requests: int = 0
    last_used: float = field(default_factory=time.monotonic)
    memory_checked: float = 0.0  # reading /proc costs milliseconds: at most once per interval

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.alive


@dataclass
class _Counters:
    processes_started: int = 0
    headers_elaborated: int = 0
    requests: int = 0
    timeouts: int = 0
    crashes: int = 0
    retired_for_memory: int = 0
    retired_for_age: int = 0


class ReplBackend:
    """Pool of ``lean.workers`` REPL processes. Async; one event loop per instance; ``close()`` at the end."""

    def __init__(
        self, lean: LeanSettings, *, command: list[str] | None = None, cwd: Path | None = None
    ) -> None:
        self._lean = lean
        self._argv = command if command is not None else lean.repl_command
        self._cwd = cwd
        self._workers = [_Worker(index=i) for i in range(lean.workers)]
        self._idle: list[_Worker] = list(self._workers)
        self._waiters: list[tuple[str, _Worker | None, asyncio.Future[_Worker]]] = []
        self._free_slots: asyncio.Semaphore | None = None
        self._counters = _Counters()
        self._closed = False
        self._answered = False  # some process of this pool has answered a request

    # ------------------------------------------------------------------------------ protocol
    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_COMMAND, CAP_TACTICS, CAP_SORRY_STATES, CAP_PICKLE})

    @property
    def stats(self) -> PoolStats:
        return PoolStats(**vars(self._counters))

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        """Compile ``code`` in command mode. ``fresh``: the whole text in a new environment, no header reuse."""
        limit = timeout if timeout is not None else self._lean.timeout_s
        header, body, offset = ("", code, 0) if fresh else split_header(code)
        worker = await self._acquire(header=header)
        try:
            return await self._check_on(worker, code, header, body, offset, limit)
        finally:
            self._release(worker, pinned=False)

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return list(await asyncio.gather(*(self.check(code, timeout=timeout) for code in codes)))

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        limit = timeout if timeout is not None else self._lean.timeout_s
        worker = self._owner(state)
        await self._acquire(pinned=worker)
        try:
            self._owner(state)  # the process may have been retired while we waited
            assert worker.process is not None
            started = time.monotonic()
            payload = {"tactic": tactic, "proofState": state.proof_state}
            try:
                raw = await worker.process.exchange(payload, limit)
            except ProcessTimedOut:
                await self._retire(worker, "timeout")
                return StepResult(status=StepStatus.timeout, elapsed_s=time.monotonic() - started)
            except (ProcessDied, ProtocolError) as exc:
                await self._retire(worker, f"crash: {exc}")
                return StepResult(status=StepStatus.crash, elapsed_s=time.monotonic() - started)
            result = parse_tactic_response(
                raw, state_of=self._states(worker), elapsed_s=time.monotonic() - started
            )
            await self._after_request(worker)
            return result
        finally:
            self._release(worker, pinned=True)

    async def exchange(
        self, payload: dict[str, Any], *, timeout: float | None = None, worker: int = 0
    ) -> Any:
        """Send one raw REPL request to worker ``worker`` (starting its process without a header) and return
        the decoded answer. Raises ``BackendError`` on timeout, death or garbage."""
        limit = timeout if timeout is not None else self._lean.timeout_s
        target = self._workers[worker]
        await self._acquire(pinned=target)
        try:
            if not target.alive:
                await self._start(target, header="")
            assert target.process is not None
            try:
                return await target.process.exchange(payload, limit)
            except (ProcessTimedOut, ProcessDied) as exc:
                await self._retire(target, str(exc))
                raise BackendError(f"REPL worker {worker}: {exc}") from exc
        finally:
            self._release(target, pinned=True)

    async def close(self) -> None:
        """Kill every process. Later calls raise ``BackendError``."""
        self._closed = True
        for worker in self._workers:
            if worker.process is not None:
                await worker.process.kill()
                worker.process = None

    # ------------------------------------------------------------------------------ one check
    async def _check_on(
        self, worker: _Worker, code: str, header: str, body: str, offset: int, limit: float
    ) -> CheckResult:
        started = time.monotonic()
        self._counters.requests += 1
        try:
            if header and (not worker.alive or worker.header != header):
                await self._start(worker, header=header)
                timed = await self._elaborate_header(worker, header)
                if timed is not None:
                    return timed
            elif not worker.alive:
                await self._start(worker, header="")
            assert worker.process is not None
            if header and worker.header_ok:
                payload: dict[str, Any] = {"cmd": body, "env": worker.header_env}
                extra, line_offset = worker.header_messages, offset
            else:  # no header, a fresh check, or a header Lean rejected: the whole text at once
                payload, extra, line_offset = {"cmd": code}, (), 0
            raw = await worker.process.exchange(payload, limit)
            result = parse_command_response(
                raw,
                state_of=self._states(worker),
                line_offset=line_offset,
                extra_messages=extra,
                elapsed_s=time.monotonic() - started,
            )
        except ProcessTimedOut:
            self._counters.timeouts += 1
            await self._retire(worker, "timeout")
            return self._failed(Verdict.timeout, f"no answer within {limit:.1f} s", started)
        except ProcessDied as exc:
            self._counters.crashes += 1
            process = worker.process
            await self._retire(worker, f"crash: {exc}")
            if not self._answered and process is not None and (process.returncode or 0) >= 0:
                # The first process ever exited by itself before any answer: Lean cannot run at all
                # (a wrong command, a broken toolchain), which is a missing dependency, not a verdict.
                raise LeanUnavailable(
                    f"the Lean REPL command exited at once: {' '.join(process.argv)}; {exc}; "
                    "run `prover doctor` for the fix"
                ) from exc
            return self._failed(Verdict.crash, str(exc), started)
        except ProtocolError as exc:
            await self._retire(worker, f"protocol error: {exc}")
            return self._failed(Verdict.backend_error, str(exc), started)
        except ReplFailure as exc:  # the REPL refused the command itself (not a Lean error in the text)
            return self._failed(Verdict.backend_error, exc.message, started)
        await self._after_request(worker)
        return result

    async def _elaborate_header(self, worker: _Worker, header: str) -> CheckResult | None:
        """Run the header in the fresh process; a ``timeout`` result when it takes too long."""
        assert worker.process is not None
        started = time.monotonic()
        try:
            raw = await worker.process.exchange({"cmd": header}, self._lean.import_timeout_s)
        except ProcessTimedOut:
            self._counters.timeouts += 1
            await self._retire(worker, "header timeout")
            limit = self._lean.import_timeout_s
            return self._failed(Verdict.timeout, f"header not elaborated within {limit:.1f} s", started)
        self._counters.headers_elaborated += 1
        self._answered = True
        header_result = parse_command_response(raw)
        worker.header = header
        worker.header_env = header_result.env
        worker.header_messages = header_result.messages
        worker.header_ok = header_result.verdict is Verdict.valid
        if not worker.header_ok:
            log.info("header rejected by Lean on worker %d; checking whole texts", worker.index)
        return None

    def _failed(self, verdict: Verdict, note: str, started: float) -> CheckResult:
        message = Message(severity=Severity.error, pos=Pos(line=1, column=0), text=f"{verdict.value}: {note}")
        if self._closed:  # the pool is shutting down: in-flight checks end, nothing went wrong
            log.debug("REPL check %s after close: %s", verdict.value, note)
        else:
            log.warning("REPL check %s: %s", verdict.value, note)
        return CheckResult(verdict=verdict, messages=(message,), elapsed_s=time.monotonic() - started)

    # ------------------------------------------------------------------------------ processes
    def _command(self) -> tuple[list[str], Path | None]:
        if self._argv is not None:
            return list(self._argv), self._cwd
        argv, project = default_repl_command(self._lean)
        return argv, self._cwd or project

    async def _start(self, worker: _Worker, *, header: str) -> None:
        if worker.process is not None:
            await worker.process.kill()
        argv, cwd = self._command()
        worker.process = await ReplProcess.start(argv, cwd=cwd, memory_limit_mb=self._lean.memory_limit_mb)
        worker.generation += 1
        worker.requests = 0
        worker.memory_checked = 0.0
        worker.header, worker.header_env, worker.header_messages = (header or None), None, ()
        worker.header_ok = False
        self._counters.processes_started += 1

    async def _retire(self, worker: _Worker, reason: str) -> None:
        if worker.process is not None:
            log.info("retiring REPL worker %d (pid %d): %s", worker.index, worker.process.pid, reason)
            await worker.process.kill()
        worker.process = None
        worker.header = None
        worker.generation += 1  # every StateRef of the old process is stale from now on

    async def _after_request(self, worker: _Worker) -> None:
        self._answered = True
        worker.requests += 1
        if worker.requests >= self._lean.max_requests_per_process:
            self._counters.retired_for_age += 1
            await self._retire(worker, f"{worker.requests} requests served")
            return
        now = time.monotonic()
        if worker.process is None or now - worker.memory_checked < MEMORY_CHECK_INTERVAL_S:
            return
        worker.memory_checked = now
        if worker.process.rss_mb() > self._lean.memory_limit_mb:
            self._counters.retired_for_memory += 1
            await self._retire(worker, f"resident memory above {self._lean.memory_limit_mb} MiB")

    def _states(self, worker: _Worker) -> StateFactory:
        return StateFactory(BACKEND_NAME, worker.index, worker.generation)

    def _owner(self, state: StateRef) -> _Worker:
        if state.backend != BACKEND_NAME or not 0 <= state.worker < len(self._workers):
            raise StaleStateError(f"proof state {state.proof_state} does not belong to this REPL pool")
        worker = self._workers[state.worker]
        if worker.generation != state.generation or not worker.alive:
            raise StaleStateError(
                f"proof state {state.proof_state} belongs to a REPL process that was restarted "
                f"(worker {state.worker}, generation {state.generation} < {worker.generation})"
            )
        return worker

    # ------------------------------------------------------------------------------ scheduling
    def _slots(self) -> asyncio.Semaphore:
        # Made lazily so that the backend can be constructed outside the event loop that uses it.
        if self._free_slots is None:
            self._free_slots = asyncio.Semaphore(len(self._workers))
        return self._free_slots

    async def _acquire(self, *, header: str = "", pinned: _Worker | None = None) -> _Worker:
        """An idle worker: ``pinned`` itself, else one already holding ``header``, else an empty one, else
        the least recently used. Unpinned callers first take one of K slots, so at most K of them (plus
        pinned tactic calls) ever wait here; the hand-over in ``_release`` is synchronous."""
        if self._closed:
            raise BackendError("the REPL pool is closed")
        if pinned is None:
            await self._slots().acquire()
        chosen = self._choose(header, pinned)
        if chosen is not None:
            self._idle.remove(chosen)
            return chosen
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiters.append((header, pinned, waiter))
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result(), pinned=pinned is not None)
            elif pinned is None:
                self._slots().release()
            raise
        finally:
            if (header, pinned, waiter) in self._waiters:
                self._waiters.remove((header, pinned, waiter))

    def _choose(self, header: str, pinned: _Worker | None) -> _Worker | None:
        if pinned is not None:
            return pinned if pinned in self._idle else None
        if not self._idle:
            return None
        for worker in self._idle:
            if worker.alive and worker.header == (header or None):
                return worker
        for worker in self._idle:
            if not worker.alive:
                return worker
        return min(self._idle, key=lambda w: w.last_used)

    def _release(self, worker: _Worker, *, pinned: bool) -> None:
        worker.last_used = time.monotonic()
        self._idle.append(worker)
        if not pinned:
            self._slots().release()
        for entry in list(self._waiters):
            header, wanted, waiter = entry
            if waiter.done():
                continue
            chosen = self._choose(header, wanted)
            if chosen is not None:
                self._idle.remove(chosen)
                self._waiters.remove(entry)
                waiter.set_result(chosen)
            if not self._idle:
                break
