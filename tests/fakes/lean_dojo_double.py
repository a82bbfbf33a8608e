"""A stand-in for the ``lean_dojo`` package (4.20), class for class and field for field, for tests.

It raises what the real package raises, with the real exception classes where they come from other packages
(``requests``, ``urllib``, ``github``, ``subprocess``, ``pexpect``): each case was seen from ``lean_dojo`` 4.20
on a machine without Lean or network. What triggers each failure:

- ``LeanGitRepo(url, ...)``: ``offline`` in the URL -> ``requests.exceptions.ConnectionError`` (GitHub API);
  ``remote-cache`` -> ``urllib.error.URLError`` (the remote cache probe); ``ratelimited`` ->
  ``github.RateLimitExceededException``; neither ``https://`` nor ``/`` -> ``ValueError``; ``no-toolchain`` ->
  ``FileNotFoundError`` for ``lean-toolchain``.
- ``is_available_in_cache(repo)``: false when ``untraced`` is in the URL.
- ``Dojo(theorem).__enter__``: theorem ``not_traced`` -> ``DojoInitError``, ``stale_trace`` ->
  ``AssertionError``, ``no_lake`` -> ``pexpect.exceptions.ExceptionPexpect``, ``exploding`` -> ``KeyError``.
- ``run_tac``: ``omega`` finishes, ``constructor`` splits, ``trace_state`` informs, ``sorry`` gives up,
  ``slow`` times out, ``boom`` crashes; anything else is a ``LeanError``.
- ``get_traced_repo_path(repo)``: ``TRACED_ROOT[0]`` (a test sets it) / the repository's name.

``BLOCKING_THREADS`` records the thread of every blocking call.
"""

from __future__ import annotations

import os
import subprocess
import threading
import types
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class TacticState:
    pp: str
    id: int = field(compare=False)
    message: str | None = field(default=None, compare=False)
    goals: list[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "goals", [g for g in self.pp.split("\n\n") if "⊢" in g])


@dataclass(frozen=True)
class ProofFinished:
    tactic_state_id: int
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofGivenUp:
    pass


@dataclass(frozen=True)
class LeanError:
    error: str


class DojoCrashError(Exception):
    pass


class DojoTacticTimeoutError(Exception):
    pass


class DojoInitError(Exception):
    pass


BLOCKING_THREADS: list[threading.Thread] = []  # where the blocking calls ran


@dataclass(frozen=True)
class LeanGitRepo:
    """Constructing one calls the GitHub API (GitHub URLs) or copies the repository through LeanDojo's cache,
    whose remote probe is urllib; then it reads ``lean-toolchain``."""

    url: str
    commit: str

    def __post_init__(self) -> None:
        BLOCKING_THREADS.append(threading.current_thread())
        if "offline" in self.url:
            import requests  # the dojo extra's dependencies, as the real package raises them

            raise requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='api.github.com', port=443): Max retries exceeded"
            )
        if "remote-cache" in self.url:
            raise urllib.error.URLError("[Errno -2] Name or service not known")
        if "ratelimited" in self.url:
            import github

            raise github.RateLimitExceededException(403, {"message": "API rate limit exceeded"}, {})
        if not self.url.startswith(("https://", "/")):
            raise ValueError(f"{self.url} is not a valid URL")
        if "no-toolchain" in self.url:
            raise FileNotFoundError(
                2, "No such file or directory", f"/tmp/cache/{self.commit}/lean-toolchain"
            )


def is_available_in_cache(repo: LeanGitRepo) -> bool:
    BLOCKING_THREADS.append(threading.current_thread())
    return "untraced" not in repo.url


@dataclass(frozen=True)
class Theorem:
    repo: LeanGitRepo
    file_path: Path
    full_name: str


INITIAL = "a b : ℕ\nh : a ≤ b\n⊢ a < b + 1"
TWO_GOALS = "case left\na : ℕ\n⊢ 0 ≤ a\n\ncase right\na : ℕ\n⊢ a ≤ a"


class Dojo:
    """Shaped like ``lean_dojo.Dojo``: ``Dojo(entry, timeout, additional_imports, build_deps)``, a context
    manager whose ``__enter__`` returns ``(dojo, initial_state)``, and ``run_tac(state, tactic)``."""

    instances: ClassVar[list[Dojo]] = []

    def __init__(
        self,
        entry: Any,
        timeout: int = 600,
        additional_imports: list[str] | None = None,
        build_deps: bool = True,
    ) -> None:
        self.entry = entry
        self.timeout = timeout
        self.exited = False
        self.next_id = 1
        self.tactics: list[str] = []  # every tactic that reached "LeanDojo", in order
        Dojo.instances.append(self)

    def __enter__(self) -> tuple[Dojo, TacticState]:
        BLOCKING_THREADS.append(threading.current_thread())
        match self.entry.full_name:
            case "not_traced":
                raise DojoInitError("Cannot find the *.ast.json file")
            case "stale_trace":
                raise AssertionError("Unable to find Lean4Repl.lean in the traced repo.")
            case "no_lake":
                import pexpect.exceptions

                raise pexpect.exceptions.ExceptionPexpect(
                    "The command was not found or was not executable: lake."
                )
            case "exploding":
                raise KeyError("sid")
        self.proc = types.SimpleNamespace(pid=os.getpid())  # the real one: a pexpect child (`lake env lean`)
        return self, TacticState(INITIAL, 0)

    def __exit__(self, *exc: object) -> None:
        self.proc.pid  # noqa: B018 - like the real one: AttributeError when __enter__ failed before Lean
        self.exited = True

    def run_tac(self, state: TacticState, tactic: str) -> Any:
        if not isinstance(state, TacticState):
            raise RuntimeError(f"Attempting to run a tactic on an invalid state {state}.")
        self.next_id += 1
        self.tactics.append(tactic)
        match tactic:
            case "omega":
                return ProofFinished(self.next_id, "")
            case "constructor":
                return TacticState(TWO_GOALS, self.next_id, "")
            case "trace_state":
                return TacticState(state.pp, self.next_id, "a b : ℕ ⊢ a < b + 1")
            case "sorry":
                return ProofGivenUp()
            case "slow":
                raise DojoTacticTimeoutError()
            case "boom":
                raise DojoCrashError("Unexpected EOF")
            case _:
                return LeanError(f"unknown tactic '{tactic}'")


TRACED_ROOT: list[Path] = [Path("/nonexistent/traced")]


def get_traced_repo_path(repo: LeanGitRepo, build_deps: bool = True) -> Path:
    del build_deps
    BLOCKING_THREADS.append(threading.current_thread())
    if not is_available_in_cache(repo):
        raise subprocess.CalledProcessError(127, "lake build")
    return TRACED_ROOT[0] / Path(repo.url).name


def stand_in_module() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        Dojo=Dojo,
        TacticState=TacticState,
        ProofFinished=ProofFinished,
        ProofGivenUp=ProofGivenUp,
        LeanError=LeanError,
        DojoCrashError=DojoCrashError,
        DojoTacticTimeoutError=DojoTacticTimeoutError,
        DojoInitError=DojoInitError,
        LeanGitRepo=LeanGitRepo,
        Theorem=Theorem,
        is_available_in_cache=is_available_in_cache,
        get_traced_repo_path=get_traced_repo_path,
    )
