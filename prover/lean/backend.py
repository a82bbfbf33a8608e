"""The seam between prover and Lean: one async protocol every backend implements.

Backends: ``repl.ReplBackend`` (process pool of the Lean REPL, the default), ``kimina.KiminaBackend``
(HTTP), ``dojo.DojoBackend`` (LeanDojo, tactic level only). ``factory.open_backend(settings)`` picks one.

Contract:
- ``check`` compiles one piece of Lean text in command mode and always returns a ``CheckResult`` within
  ``timeout`` plus a small grace: Lean rejecting the text, a timeout and a crash are verdicts, not exceptions.
- ``sorries`` of a ``CheckResult`` carry ``StateRef``s when the backend has the ``sorry_states`` capability;
  ``run_tactic`` continues from such a state (capability ``tactics``). A tactic-mode success is never final.
- ``check(code, fresh=True)`` elaborates the whole text in a new environment, reusing nothing from earlier
  requests (no cached header): what certification needs. A backend that cannot check text raises.
- Exceptions (``prover.errors``) mean misuse or machinery failure: ``StaleStateError``, ``LeanUnavailable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from prover.types import CheckResult, StateRef, StepResult

CAP_TACTICS = "tactics"
CAP_SORRY_STATES = "sorry_states"
CAP_PICKLE = "pickle"
CAP_COMMAND = "command"


@runtime_checkable
class LeanBackend(Protocol):
    @property
    def capabilities(self) -> frozenset[str]: ...

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult: ...

    async def check_many(
        self, codes: Sequence[str], *, timeout: float | None = None
    ) -> list[CheckResult]: ...

    async def run_tactic(
        self, state: StateRef, tactic: str, *, timeout: float | None = None
    ) -> StepResult: ...

    async def close(self) -> None: ...
