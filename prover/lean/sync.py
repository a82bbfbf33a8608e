"""A blocking facade over any async ``LeanBackend``, for the CLI and scripts.

One private event loop per facade: the backend's processes and sockets belong to that loop, so every call
goes through it. Use as a context manager (``with SyncLean(backend) as lean: lean.check(text)``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType

from prover.lean.backend import LeanBackend
from prover.types import CheckResult, StateRef, StepResult


class SyncLean:
    def __init__(self, backend: LeanBackend) -> None:
        self.backend = backend
        self._loop = asyncio.new_event_loop()

    def check(self, code: str, *, timeout: float | None = None) -> CheckResult:
        return self._loop.run_until_complete(self.backend.check(code, timeout=timeout))

    def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return self._loop.run_until_complete(self.backend.check_many(codes, timeout=timeout))

    def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        return self._loop.run_until_complete(self.backend.run_tactic(state, tactic, timeout=timeout))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self.backend.close())
        finally:
            self._loop.close()

    def __enter__(self) -> SyncLean:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
