"""Z3 in a separate process, so that a Z3 hang or crash can neither block nor kill the caller.

``Z3Worker`` starts one process (``python -c ...``, so callers need no ``__main__`` guard)
lazily and sends it pickled queries over a socket pair. Z3 gets its own timeout;
on top of it the caller waits at most a hard deadline, then kills the process (a fresh one starts on the
next query). A dead or killed worker yields a ``SolveOutcome`` saying so, never an exception to the caller.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from multiprocessing.connection import Connection
from typing import Any

from prover.smt.core import Query, conjoin

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 60.0
# Imported by name (not run as __main__) so that pickled classes resolve to this module on both sides.
WORKER_ENTRY = "import sys; from prover.smt.worker import main; main(sys.argv)"
HARD_DEADLINE_GRACE_S = 1.5


class Answer(StrEnum):
    sat = "sat"
    unsat = "unsat"
    unknown = "unknown"
    skipped = "skipped"


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    """What Z3 said about ``hypotheses ∧ ¬goal`` (``negation``) and ``hypotheses`` alone."""

    negation: Answer = Answer.skipped
    hypotheses: Answer = Answer.skipped
    model: dict[str, Fraction | None] = field(default_factory=dict)
    untranslated: tuple[str, ...] = ()  # what Z3 could not express (left out, or why the goal was skipped)
    core: tuple[str, ...] = ()  # names of hypotheses that are inconsistent together (when hypotheses: unsat)
    failure: str = ""  # the worker died, hung past the deadline, or Z3 raised


# ------------------------------------------------------------------------------- inside the worker
def solve(query: Query, timeout_ms: int) -> SolveOutcome:
    """Runs in the worker process: translate ``query`` and ask Z3 (the only place that imports z3)."""
    import z3

    from prover.smt.translate import Translator, Untranslatable, model_values

    translator = Translator(query)
    untranslated: list[str] = []
    hypotheses = []
    names = []
    for hypothesis in query.hypotheses:
        try:
            hypotheses.append(translator.formula(hypothesis.formula))
            names.append(hypothesis.name)
        except Untranslatable as error:
            untranslated.append(f"{hypothesis.name}: {error}")
    goal = None
    if query.goal is not None:
        try:
            goal = translator.formula(query.goal)
        except Untranslatable as error:
            untranslated.append(f"⊢: {error}")

    def check(*assertions: Any) -> tuple[Answer, Any]:
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(*translator.side, *assertions)
        result = solver.check()
        if result == z3.unsat:
            return Answer.unsat, None
        if result == z3.sat:
            return Answer.sat, solver.model()
        return Answer.unknown, None

    negation, model = Answer.skipped, None
    if goal is not None:
        negation, model = check(*hypotheses, z3.Not(goal))
    hypotheses_answer: Answer = Answer.skipped
    core: tuple[str, ...] = ()
    if hypotheses and negation in (Answer.unsat, Answer.skipped):
        hypotheses_answer, core = _check_hypotheses(translator.side, hypotheses, names, timeout_ms)
    values = model_values(model, translator) if model is not None else {}
    return SolveOutcome(negation, hypotheses_answer, values, tuple(untranslated), core)


def _check_hypotheses(
    side: list[Any], hypotheses: list[Any], names: list[str], timeout_ms: int
) -> tuple[Answer, tuple[str, ...]]:
    """Satisfiability of the hypotheses alone, with an unsat core of hypothesis names."""
    import z3

    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*side)
    for index, hypothesis in enumerate(hypotheses):
        solver.assert_and_track(hypothesis, z3.Bool(f"hyp{index}"))
    result = solver.check()
    if result == z3.unsat:
        core = {str(label) for label in solver.unsat_core()}
        return Answer.unsat, tuple(name for i, name in enumerate(names) if f"hyp{i}" in core)
    return (Answer.sat if result == z3.sat else Answer.unknown), ()


def _serve(connection: Connection) -> None:
    """Answer queries until the caller closes the socket. A caller that is gone (it exited, or was killed
    by SIGTERM while Z3 ran) ends the worker quietly: it shares the caller's terminal, where a traceback
    about a broken pipe would be noise after the user's own interrupt."""
    try:
        connection.send("ready")
        while True:
            request = connection.recv()
            if request is None:
                return
            query, timeout_ms = request
            try:
                outcome = solve(query, timeout_ms)
            except Exception as error:  # report any failure to the caller instead of dying silently
                outcome = SolveOutcome(failure=f"z3 worker error: {type(error).__name__}: {error}")
            connection.send(outcome)
    except (EOFError, OSError):  # BrokenPipeError, ConnectionResetError: the caller is gone
        return


# ------------------------------------------------------------------------------- the caller's side
class Z3Worker:
    """A persistent Z3 process with a hard deadline per query. Not thread-safe: one per thread."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None

    def _start(self) -> Connection:
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER_ENTRY, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        connection = Connection(ours.detach())
        self._process, self._connection = process, connection
        if not connection.poll(STARTUP_TIMEOUT_S):
            raise TimeoutError("the Z3 worker did not start")
        connection.recv()
        return connection

    def solve(self, query: Query, timeout_s: float) -> SolveOutcome:
        try:
            connection = self._connection or self._start()
        except (OSError, TimeoutError, EOFError) as error:
            self.close()
            return SolveOutcome(failure=f"cannot start the Z3 worker: {error}")
        queries = 2 if query.hypotheses else 1
        deadline = timeout_s * queries + HARD_DEADLINE_GRACE_S + 0.05 * _size(query)
        started = time.monotonic()
        try:
            connection.send((query, max(1, int(timeout_s * 1000))))
            if connection.poll(deadline):
                outcome: SolveOutcome = connection.recv()
                return outcome
        except (EOFError, OSError) as error:
            code = self._process.poll() if self._process is not None else None
            log.warning("Z3 worker died (exit code %s): %s", code, error)
            self.close()
            return SolveOutcome(failure=f"z3 worker died (exit code {code})")
        log.warning("Z3 worker passed its hard deadline (%.1fs); killing it", time.monotonic() - started)
        self.close()
        return SolveOutcome(failure=f"z3 hard deadline of {deadline:.1f}s passed; worker killed")

    def close(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Z3Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str]) -> None:
    """The worker process: serve queries on the inherited socket until EOF.

    Ctrl-C reaches the whole process group; the caller handles it and closes the socket, so the worker
    ignores SIGINT rather than print a ``KeyboardInterrupt`` traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _serve(Connection(int(argv[1])))


def _size(query: Query) -> int:
    """Rough translation work, to widen the deadline for big unrolled sums."""
    formulas = [h.formula for h in query.hypotheses] + ([query.goal] if query.goal is not None else [])
    return len(repr(conjoin(formulas))) // 20_000
