"""``DojoBackend``: tactic-level interaction with theorems of a repository traced by LeanDojo.

LeanDojo (``lean_dojo``, imported lazily: it is heavy) replaces a theorem's proof in a traced repository by
its own REPL and exposes ``Dojo(theorem)``; entering it yields the initial ``TacticState``, and
``run_tac(state, tactic)`` answers ``TacticState`` (goals remain), ``ProofFinished``, ``LeanError`` or
``ProofGivenUp``, or raises ``DojoTacticTimeoutError`` / ``DojoCrashError``. This adapter maps those to
``StepResult``:

    TacticState           -> open, goals split from ``pp`` as LeanDojo's ``parse_goals`` splits them
    ProofFinished         -> proved (never final: certify the whole text in command mode elsewhere)
    LeanError             -> error, the error text as an error ``Message``
    ProofGivenUp          -> error ("the proof contains sorry")
    tactic timeout        -> timeout; the session is closed (its process state is unknown)
    crash / death         -> crash; the session is closed

LeanDojo reports no positions; a ``Message`` from it sits at line 1, column 0 of the tactic text.
``check`` of arbitrary text is not possible through LeanDojo: it raises ``BackendError``.

Each ``start`` opens one session (one Lean process) and gets a fresh ``worker`` number; ``StateRef``s of a
closed session are stale (``StaleStateError``). Calls into one session are serialised; they run in a thread
because LeanDojo blocks.

Tracing is not done here. LeanDojo's ``Dojo.__enter__`` traces and builds the whole repository on first use
(hours, in a thread nothing can stop), so ``start`` first asks whether the repository is traced and refuses
with the fix when it is not: ``prover dojo trace URL@COMMIT`` (``prover.lean.dojo_trace``) traces in a child
process that a timeout or Ctrl-C kills. Everything blocking (importing ``lean_dojo``, which logs in to GitHub
when ``GITHUB_ACCESS_TOKEN`` is set; ``LeanGitRepo``, which calls the GitHub API or copies a local
repository; ``Theorem``; entering) runs off the event loop.

Failures of the real package (``dojo_failure``) become the project's errors, each with its fix: a
``requests`` ``ConnectionError`` or a ``github`` API error (GitHub unreachable or rate-limited: check the
network, set ``GITHUB_ACCESS_TOKEN``), ``urllib.error.URLError`` (LeanDojo's remote cache probe offline:
``DISABLE_REMOTE_CACHE=1``), ``subprocess.CalledProcessError`` and ``pexpect`` errors (``lake``/``lean`` missing or failing:
``prover doctor``), ``FileNotFoundError`` (no ``lean-toolchain``: not a Lean 4 project at that commit), ``ValueError``
(a bad URL or commit: ``ConfigError``), ``AssertionError`` and ``DojoInitError`` from inside ``Dojo.__enter__``
(a stale trace: trace again). Everything else LeanDojo raises is a ``BackendError`` naming its type.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import shutil
import subprocess
import time
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prover.errors import BackendError, ConfigError, LeanUnavailable, ProverError, StaleStateError
from prover.lean.backend import CAP_TACTICS
from prover.settings import LeanSettings
from prover.types import CheckResult, Frozen, Message, Pos, Severity, StateRef, StepResult, StepStatus

log = logging.getLogger(__name__)

BACKEND_NAME = "dojo"
GRACE_S = 2.0
"""Past ``timeout + GRACE_S`` without an answer the session is closed and the step is a timeout."""


class DojoTheorem(Frozen):
    """A theorem of a LeanDojo-traced repository: where it lives and its fully qualified name."""

    repo_url: str
    commit: str
    file_path: str
    full_name: str


class DojoRepo(Frozen):
    """A repository at a commit, as LeanDojo names it: a GitHub https URL, a git URL or a local git path."""

    url: str
    commit: str

    @property
    def spec(self) -> str:
        return f"{self.url}@{self.commit}"


def parse_repo_spec(spec: str) -> DojoRepo:
    """``URL@COMMIT`` (the last ``@`` splits, so ``git@github.com:o/r@v1`` works); ``ConfigError`` otherwise."""
    url, at, commit = spec.rpartition("@")
    if not at or not url.strip() or not commit.strip() or "/" in commit or ":" in commit:
        raise ConfigError(
            f"{spec!r} is not URL@COMMIT (e.g. https://github.com/yangky11/lean4-example@7b6ecb9 or "
            "/path/to/repo@main)"
        )
    return DojoRepo(url=url.strip(), commit=commit.strip())


def dojo_failure(exc: BaseException, *, what: str, module: Any | None = None) -> ProverError:
    """The project's error for an exception LeanDojo (or what it calls) raised while ``what``, with the fix."""
    if isinstance(exc, ProverError):
        return exc
    kinds = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(exc).__mro__}
    detail = f"{type(exc).__name__}: {exc}"
    if any(kind.startswith("requests.") for kind in kinds):
        return LeanUnavailable(
            f"{what}: cannot reach GitHub ({detail}); check the network, and set GITHUB_ACCESS_TOKEN to lift "
            "GitHub's API rate limit"
        )
    if any(kind.startswith("github.") for kind in kinds):
        return LeanUnavailable(
            f"{what}: the GitHub API refused ({detail}); set GITHUB_ACCESS_TOKEN to a valid token (rate "
            "limits, private repositories)"
        )
    if any(kind.startswith("pexpect.") for kind in kinds):  # Dojo.__enter__ spawns `lake env lean FILE`
        return LeanUnavailable(
            f"{what}: could not run Lean in the traced repository ({detail}); run `prover doctor` for the fix"
        )
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return LeanUnavailable(
            f"{what}: cannot reach LeanDojo's remote cache ({exc.reason}); set DISABLE_REMOTE_CACHE=1 when "
            "offline"
        )
    if isinstance(exc, subprocess.CalledProcessError):
        command = exc.cmd if isinstance(exc.cmd, str) else " ".join(map(str, exc.cmd))
        if exc.returncode == 127 or shutil.which(command.split()[0] if command else "lake") is None:
            return LeanUnavailable(
                f"{what}: `{command}` failed: Lean not found; run `prover doctor` for the fix"
            )
        return LeanUnavailable(
            f"{what}: `{command}` failed with exit status {exc.returncode}; run it in the repository to see why"
        )
    if isinstance(exc, FileNotFoundError):
        name = Path(str(exc.filename or "")).name
        if name in ("lean-toolchain", "lakefile.lean", "lakefile.toml", "lake-manifest.json"):
            return LeanUnavailable(
                f"{what}: {name} not found: the repository is not a Lean 4 project at that commit, or the "
                "commit is wrong"
            )
        return LeanUnavailable(f"{what}: {exc.filename or exc} not found; run `prover doctor` for the fix")
    if isinstance(exc, ValueError):
        return ConfigError(
            f"{what}: {exc} (give a GitHub https URL, a git URL or a local git repository, with a commit, "
            "tag or branch)"
        )
    if isinstance(exc, AssertionError):
        return LeanUnavailable(
            f"{what}: LeanDojo's own check failed ({exc or 'assertion'}); the trace may be stale or from "
            "another LeanDojo version: trace again with `prover dojo trace`"
        )
    init_error = getattr(module, "DojoInitError", None)
    if isinstance(init_error, type) and isinstance(exc, init_error):
        return LeanUnavailable(f"{what}: {exc}")
    if isinstance(exc, TimeoutError | OSError):
        return LeanUnavailable(f"{what}: {detail}")
    return BackendError(f"{what}: LeanDojo failed: {detail}")


@dataclass
class _Session:
    number: int
    dojo: Any  # lean_dojo.Dojo, entered
    states: dict[int, Any] = field(default_factory=dict)  # proof-state id -> lean_dojo.TacticState
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    open: bool = True


class DojoBackend:
    """A ``LeanBackend`` for tactic-level search through LeanDojo (no command-mode checking)."""

    def __init__(self, lean: LeanSettings, *, dojo_module: Any | None = None) -> None:
        """``dojo_module`` stands in for the ``lean_dojo`` package (tests); by default it is imported on use."""
        self._lean = lean
        self._module = dojo_module
        self._sessions: dict[int, _Session] = {}
        self._next_number = 0

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_TACTICS})

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        raise BackendError(
            "LeanDojo interacts with theorems of a traced repository only; it cannot check arbitrary text "
            "(use lean.backend 'repl' or 'kimina' for that; for a traced repository: prover dojo prove "
            "URL@COMMIT FILE --theorem NAME)"
        )

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return [await self.check(code, timeout=timeout) for code in codes]

    async def start(self, theorem: DojoTheorem, *, timeout: float | None = None) -> StepResult:
        """Open a session on ``theorem``: the initial proof state (``open``).

        ``LeanUnavailable`` (with the fix) when the repository is not traced yet or LeanDojo cannot start;
        every failure of the real package is mapped by ``dojo_failure``."""
        limit = self._lean.timeout_s if timeout is None else timeout
        what = f"LeanDojo could not start on {theorem.full_name} ({theorem.repo_url}@{theorem.commit})"
        module = await asyncio.to_thread(self._lean_dojo)
        started = time.monotonic()
        dojo = await asyncio.to_thread(_prepare, module, theorem, max(1, round(limit)), what)
        try:
            _, initial = await asyncio.wait_for(
                asyncio.to_thread(dojo.__enter__), self._lean.import_timeout_s + GRACE_S
            )
        except TimeoutError as exc:
            await asyncio.to_thread(_exit_quietly, dojo)
            raise LeanUnavailable(
                f"LeanDojo did not start within {self._lean.import_timeout_s:.0f} s (lean.import_timeout_s)"
            ) from exc
        except Exception as exc:  # whatever the real package raises: mapped, never a raw traceback
            await asyncio.to_thread(_exit_quietly, dojo)
            raise dojo_failure(exc, what=what, module=module) from exc
        session = _Session(number=self._next_number, dojo=dojo)
        self._next_number += 1
        self._sessions[session.number] = session
        return self._step(session, initial, time.monotonic() - started)

    async def checkout(self, repo_url: str, commit: str) -> Path:
        """The traced repository's checkout in LeanDojo's cache (where its files can be checked in command
        mode); ``LeanUnavailable`` with the fix when it is not traced."""
        what = f"LeanDojo could not find the traced checkout of {repo_url}@{commit}"
        module = await asyncio.to_thread(self._lean_dojo)
        return await asyncio.to_thread(_traced_checkout, module, repo_url, commit, what)

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        session = self._session_of(state)
        limit = self._lean.timeout_s if timeout is None else timeout
        module = self._lean_dojo()
        async with session.lock:
            if not session.open:
                raise StaleStateError(f"LeanDojo session {session.number} was closed", where=tactic[:80])
            tactic_state = session.states.get(state.proof_state)
            if tactic_state is None:
                raise BackendError(
                    f"LeanDojo session {session.number} has no proof state {state.proof_state}"
                )
            started = time.monotonic()
            try:
                outcome = await asyncio.wait_for(
                    asyncio.to_thread(session.dojo.run_tac, tactic_state, tactic), limit + GRACE_S
                )
            except (TimeoutError, module.DojoTacticTimeoutError):
                await self._close_session(session, "tactic timed out")
                return StepResult(status=StepStatus.timeout, elapsed_s=time.monotonic() - started)
            except module.DojoCrashError as exc:
                await self._close_session(session, f"crashed: {exc}")
                return StepResult(status=StepStatus.crash, elapsed_s=time.monotonic() - started)
            return self._step(session, outcome, time.monotonic() - started)

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            await self._close_session(session, "backend closed")

    # ------------------------------------------------------------------------------------------ internals
    def _lean_dojo(self) -> Any:
        if self._module is None:
            self._module = import_lean_dojo()
        return self._module

    def _session_of(self, state: StateRef) -> _Session:
        if state.backend != BACKEND_NAME:
            raise BackendError(f"a {state.backend!r} state cannot be used with the LeanDojo backend")
        session = self._sessions.get(state.worker)
        if session is None or not session.open:
            raise StaleStateError(f"LeanDojo session {state.worker} was closed")
        return session

    def _step(self, session: _Session, outcome: Any, elapsed: float) -> StepResult:
        module = self._lean_dojo()
        raw = {"type": type(outcome).__name__, **_fields(outcome)}
        if isinstance(outcome, module.TacticState):
            session.states[outcome.id] = outcome
            return StepResult(
                status=StepStatus.open,
                goals=split_goals(outcome.pp),
                state=self._ref(session, outcome.id),
                messages=_info(outcome.message),
                elapsed_s=elapsed,
                raw=raw,
            )
        if isinstance(outcome, module.ProofFinished):
            return StepResult(
                status=StepStatus.proved,
                state=self._ref(session, outcome.tactic_state_id),
                messages=_info(outcome.message),
                elapsed_s=elapsed,
                raw=raw,
            )
        if isinstance(outcome, module.LeanError):
            return StepResult(
                status=StepStatus.error, messages=(_at_tactic(outcome.error),), elapsed_s=elapsed, raw=raw
            )
        if isinstance(outcome, module.ProofGivenUp):
            return StepResult(
                status=StepStatus.error,
                messages=(_at_tactic("the proof contains sorry (LeanDojo: proof given up)"),),
                elapsed_s=elapsed,
                raw=raw,
            )
        raise BackendError(f"LeanDojo answered an unknown result type {type(outcome).__name__}")

    def _ref(self, session: _Session, proof_state: int) -> StateRef:
        return StateRef(backend=BACKEND_NAME, worker=session.number, generation=0, proof_state=proof_state)

    async def _close_session(self, session: _Session, reason: str) -> None:
        if not session.open:
            return
        session.open = False
        session.states.clear()
        log.info("closing LeanDojo session %d: %s", session.number, reason)
        await asyncio.to_thread(_exit_quietly, session.dojo)


def split_goals(pp: str) -> tuple[str, ...]:
    """The goals of a pretty-printed tactic state, split as LeanDojo's ``parse_goals`` splits them."""
    return tuple(goal.strip() for goal in pp.split("\n\n") if "⊢" in goal)


def _at_tactic(text: str) -> Message:
    return Message(severity=Severity.error, pos=Pos(line=1, column=0), text=text)


def _info(text: str | None) -> tuple[Message, ...]:
    if not text:
        return ()
    return (Message(severity=Severity.info, pos=Pos(line=1, column=0), text=text),)


def _fields(outcome: Any) -> dict[str, Any]:
    names = ("pp", "id", "message", "tactic_state_id", "error")
    return {name: getattr(outcome, name) for name in names if hasattr(outcome, name)}


def import_lean_dojo() -> Any:
    """The ``lean_dojo`` package (blocking: with ``GITHUB_ACCESS_TOKEN`` set, importing it logs in to GitHub)."""
    try:
        return importlib.import_module("lean_dojo")
    except ImportError as exc:
        raise LeanUnavailable(
            "the lean_dojo package is not installed (pip install 'prover[dojo]' or pip install lean-dojo)"
        ) from exc
    except Exception as exc:  # the GitHub login at import time
        raise dojo_failure(exc, what="importing lean_dojo") from exc


def _prepare(module: Any, theorem: DojoTheorem, timeout: int, what: str) -> Any:
    """The ``Dojo`` for ``theorem``, not entered yet; refuses a repository that is not traced (blocking)."""
    advice = " first (it builds the whole repository once; that can take hours)"
    repo = _traced_repo(module, theorem.repo_url, theorem.commit, what, advice=advice)
    try:
        entry = module.Theorem(repo, Path(theorem.file_path), theorem.full_name)
        return module.Dojo(entry, timeout=timeout)
    except Exception as exc:
        raise dojo_failure(exc, what=what, module=module) from exc


def _traced_repo(module: Any, repo_url: str, commit: str, what: str, *, advice: str = "") -> Any:
    """LeanDojo's ``LeanGitRepo`` for ``repo_url@commit``; ``LeanUnavailable`` when it is not traced (blocking)."""
    try:
        repo = module.LeanGitRepo(repo_url, commit)
        traced = module.is_available_in_cache(repo)
    except Exception as exc:
        raise dojo_failure(exc, what=what, module=module) from exc
    if not traced:
        raise LeanUnavailable(
            f"{repo_url}@{commit} is not traced yet: run `prover dojo trace {repo_url}@{commit}`{advice}"
        )
    return repo


def _traced_checkout(module: Any, repo_url: str, commit: str, what: str) -> Path:
    repo = _traced_repo(module, repo_url, commit, what)
    try:
        return Path(module.get_traced_repo_path(repo))
    except Exception as exc:
        raise dojo_failure(exc, what=what, module=module) from exc


def _exit_quietly(dojo: Any) -> None:
    """Leave a Dojo (kills its Lean process tree); a failure to clean up is logged, not raised. A Dojo whose
    ``__enter__`` failed before it started Lean has nothing to clean up (its ``__exit__`` would raise)."""
    if getattr(dojo, "proc", None) is None:
        return
    try:
        dojo.__exit__(None, None, None)
    except (OSError, RuntimeError, AttributeError) as exc:
        log.warning("LeanDojo cleanup failed: %s", exc)
