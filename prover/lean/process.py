"""One child process speaking the REPL protocol: start, one request/response exchange, memory, kill.

Invariants:
- The child leads its own process group (``start_new_session``), so ``kill`` reaches ``lake env``'s own
  child (the real ``repl``) too; ``kill`` then waits for the direct child, so no zombie is left behind.
- The child runs under an address-space limit (``RLIMIT_AS``) of ``ADDRESS_SPACE_FACTOR`` times the
  configured memory limit: Lean maps ``.olean`` files, which count toward address space but not toward the
  resident memory that the pool watches itself.
- stderr goes to an anonymous temporary file (never a pipe nobody reads, which could block the child).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import psutil

from prover.errors import LeanUnavailable
from prover.lean.repl_protocol import REQUEST_END, decode_response, encode_request

log = logging.getLogger(__name__)

ADDRESS_SPACE_FACTOR = 4
STREAM_LIMIT_BYTES = 256 * 1024 * 1024  # one response (infotrees can be large)
KILL_WAIT_S = 5.0
TREE_REFRESH_S = 30.0


class ProcessDied(Exception):
    """The child exited or closed its output before a complete answer."""


class ProcessTimedOut(Exception):
    """The child did not answer in time (it has been killed)."""


def _address_space_limiter(limit_bytes: int) -> Callable[[], None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit_bytes = min(limit_bytes, hard)

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, hard))

    del soft
    return apply


class ReplProcess:
    """A started REPL child. Use ``await ReplProcess.start(...)``; always ``await kill()`` in the end."""

    def __init__(self, proc: asyncio.subprocess.Process, stderr: IO[bytes], argv: Sequence[str]) -> None:
        self._proc = proc
        self._stderr = stderr
        self.argv = tuple(argv)
        self.pid = proc.pid
        self._tree: list[psutil.Process] | None = None
        self._tree_at = 0.0
        self._abandoned = False  # an exchange was cancelled after its request went out

    @classmethod
    async def start(
        cls,
        argv: Sequence[str],
        *,
        cwd: Path | None,
        memory_limit_mb: int,
        env: dict[str, str] | None = None,
    ) -> ReplProcess:
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the ReplProcess, closed in kill()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                cwd=cwd,
                env=env,
                start_new_session=True,
                preexec_fn=_address_space_limiter(memory_limit_mb * ADDRESS_SPACE_FACTOR * 1024 * 1024),
                limit=STREAM_LIMIT_BYTES,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            stderr.close()
            raise LeanUnavailable(
                f"cannot start the Lean REPL ({exc.strerror}): {' '.join(argv)}; "
                "run `prover doctor` for the fix (install elan, build lean_project)"
            ) from exc
        log.debug("started REPL pid %d: %s", proc.pid, " ".join(argv))
        return cls(proc, stderr, argv)

    @property
    def alive(self) -> bool:
        return self._proc.returncode is None and not self._abandoned

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    async def exchange(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and read its answer. Raises ``ProcessTimedOut`` (after killing the child),
        ``ProcessDied`` or ``ProtocolError`` (the answer is not a JSON object)."""
        try:
            # asyncio.timeout, not wait_for: no inner task that could end with ProcessDied unobserved when
            # the caller is cancelled while the pool shuts the process down.
            async with asyncio.timeout(timeout):
                return await self._exchange(payload)
        except TimeoutError:
            await self.kill()
            raise ProcessTimedOut(f"no answer within {timeout:.1f} s") from None
        except asyncio.CancelledError:
            # The caller gave up mid-exchange: an answer may still come, and the next request would read
            # it as its own. The process is never used again (the pool replaces a process not alive).
            self._abandoned = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            raise

    async def _exchange(self, payload: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        if stdin is None or stdout is None or not self.alive:
            raise ProcessDied(self._death_note())
        try:
            stdin.write(encode_request(payload))
            await stdin.drain()
            answer = await stdout.readuntil(REQUEST_END)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ProcessDied(f"cannot write to the REPL: {exc}; {self._death_note()}") from exc
        except asyncio.IncompleteReadError as exc:
            await self._reap()
            raise ProcessDied(f"output ended after {len(exc.partial)} bytes; {self._death_note()}") from exc
        except asyncio.LimitOverrunError as exc:
            raise ProcessDied(f"answer longer than {STREAM_LIMIT_BYTES} bytes") from exc
        return decode_response(answer)

    def rss_mb(self) -> float:
        """Resident memory of the child and its descendants, in MiB (0 when it is gone). The list of
        descendants is rebuilt only every ``TREE_REFRESH_S`` (scanning /proc takes milliseconds)."""
        now = time.monotonic()
        if self._tree is None or now - self._tree_at > TREE_REFRESH_S:
            try:
                root = psutil.Process(self.pid)
                self._tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return 0.0
            self._tree_at = now
        total = 0
        for proc in self._tree:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                self._tree = None  # a descendant is gone: rebuild next time
        return total / (1024 * 1024)

    async def _reap(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._proc.wait(), KILL_WAIT_S)

    async def kill(self) -> None:
        """Kill the child's whole process group and reap the child. Idempotent."""
        if self.alive:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                log.debug("process group %d already gone", self.pid)
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
        started = time.monotonic()
        await self._proc.wait()
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        log.debug(
            "REPL pid %d gone (rc %s) in %.3f s", self.pid, self._proc.returncode, time.monotonic() - started
        )
        self._stderr.close()

    def _death_note(self) -> str:
        code = self._proc.returncode
        status = "still running" if code is None else f"exit status {code}"
        return f"REPL pid {self.pid} {status}; stderr: {self._stderr_tail()!r}"

    def _stderr_tail(self, limit: int = 400) -> str:
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - limit))
            return self._stderr.read().decode("utf-8", errors="replace").strip()
        except (OSError, ValueError):
            return ""
