"""DojoBackend with stand-ins shaped like LeanDojo's real classes (``tests/fakes/lean_dojo_double.py``)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
from pathlib import Path

import pytest

from prover.errors import BackendError, ConfigError, LeanUnavailable, StaleStateError
from prover.lean.backend import CAP_TACTICS, LeanBackend
from prover.lean.dojo import DojoBackend, DojoTheorem, dojo_failure, parse_repo_spec, split_goals
from prover.settings import LeanSettings
from prover.types import Severity, StateRef, StepStatus
from tests.fakes.lean_dojo_double import (
    BLOCKING_THREADS,
    INITIAL,
    TWO_GOALS,
    Dojo,
    LeanError,
    LeanGitRepo,
    ProofFinished,
    ProofGivenUp,
    TacticState,
    Theorem,
    stand_in_module,
)

THEOREM = DojoTheorem(
    repo_url="https://example.org/repo", commit="abc", file_path="A.lean", full_name="lt_succ"
)


@pytest.fixture
def dojo() -> DojoBackend:
    Dojo.instances.clear()
    return DojoBackend(LeanSettings(backend="dojo", timeout_s=7), dojo_module=stand_in_module())


def test_stand_ins_have_the_fields_of_the_real_classes() -> None:
    real = pytest.importorskip("lean_dojo")
    for ours, theirs in [
        (TacticState, real.TacticState),
        (ProofFinished, real.ProofFinished),
        (ProofGivenUp, real.ProofGivenUp),
        (LeanError, real.LeanError),
    ]:
        assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert [f.name for f in dataclasses.fields(real.Theorem)][:3] == ["repo", "file_path", "full_name"]


def test_is_a_tactic_backend(dojo: DojoBackend) -> None:
    assert isinstance(dojo, LeanBackend)
    assert dojo.capabilities == frozenset({CAP_TACTICS})


async def test_check_of_arbitrary_text_is_refused(dojo: DojoBackend) -> None:
    with pytest.raises(BackendError, match="cannot check arbitrary text"):
        await dojo.check("theorem t : True := trivial")


async def test_start_enters_the_dojo_and_maps_the_initial_state(dojo: DojoBackend) -> None:
    step = await dojo.start(THEOREM)
    (instance,) = Dojo.instances
    assert instance.entry == Theorem(
        LeanGitRepo("https://example.org/repo", "abc"), Path("A.lean"), "lt_succ"
    )
    assert instance.timeout == 7
    assert step.status is StepStatus.open and step.goals == (INITIAL,)
    assert step.state == StateRef(backend="dojo", worker=0, generation=0, proof_state=0)


async def test_tactic_outcomes_map_to_step_results(dojo: DojoBackend) -> None:
    initial = (await dojo.start(THEOREM)).state
    assert initial is not None

    split = await dojo.run_tactic(initial, "constructor")
    assert split.status is StepStatus.open
    assert split.goals == ("case left\na : ℕ\n⊢ 0 ≤ a", "case right\na : ℕ\n⊢ a ≤ a")
    assert split.messages == ()

    traced = await dojo.run_tactic(initial, "trace_state")
    assert traced.messages[0].severity is Severity.info and "⊢ a < b + 1" in traced.messages[0].text

    failed = await dojo.run_tactic(initial, "nonsense")
    assert failed.status is StepStatus.error and failed.state is None
    assert (
        failed.messages[0].severity is Severity.error
        and failed.messages[0].text == "unknown tactic 'nonsense'"
    )

    given_up = await dojo.run_tactic(initial, "sorry")
    assert given_up.status is StepStatus.error and "sorry" in given_up.messages[0].text

    done = await dojo.run_tactic(initial, "omega")
    assert done.status is StepStatus.proved and done.goals == ()
    assert done.raw == {"type": "ProofFinished", "message": "", "tactic_state_id": done.state.proof_state}


@pytest.mark.parametrize(("tactic", "status"), [("slow", StepStatus.timeout), ("boom", StepStatus.crash)])
async def test_timeout_and_crash_close_the_session(
    dojo: DojoBackend, tactic: str, status: StepStatus
) -> None:
    initial = (await dojo.start(THEOREM)).state
    assert initial is not None
    assert (await dojo.run_tactic(initial, tactic)).status is status
    assert Dojo.instances[0].exited
    with pytest.raises(StaleStateError):
        await dojo.run_tactic(initial, "omega")


async def test_states_of_other_backends_and_unknown_states_are_refused(dojo: DojoBackend) -> None:
    initial = (await dojo.start(THEOREM)).state
    assert initial is not None
    with pytest.raises(BackendError, match="repl"):
        await dojo.run_tactic(initial.model_copy(update={"backend": "repl"}), "omega")
    with pytest.raises(BackendError, match="no proof state 99"):
        await dojo.run_tactic(initial.model_copy(update={"proof_state": 99}), "omega")


async def test_close_exits_every_session(dojo: DojoBackend) -> None:
    first = (await dojo.start(THEOREM)).state
    second = (await dojo.start(THEOREM)).state
    assert first is not None and second is not None and first.worker != second.worker
    await dojo.close()
    assert all(instance.exited for instance in Dojo.instances)
    with pytest.raises(StaleStateError):
        await dojo.run_tactic(second, "omega")


async def test_untraced_theorem_is_lean_unavailable(dojo: DojoBackend) -> None:
    with pytest.raises(LeanUnavailable, match="not_traced"):
        await dojo.start(THEOREM.model_copy(update={"full_name": "not_traced"}))


async def test_an_untraced_repository_is_refused_before_entering(dojo: DojoBackend) -> None:
    """Entering would trace the whole repository in a thread nothing can stop: refuse with the fix."""
    with pytest.raises(
        LeanUnavailable, match=r"not traced yet: run `prover dojo trace https://example.org/untraced@abc`"
    ):
        await dojo.start(THEOREM.model_copy(update={"repo_url": "https://example.org/untraced"}))
    assert Dojo.instances == []


@pytest.mark.parametrize(
    ("update", "error", "fix"),
    [
        ({"repo_url": "https://github.com/offline/repo"}, LeanUnavailable, "GITHUB_ACCESS_TOKEN"),
        ({"repo_url": "https://github.com/ratelimited/repo"}, LeanUnavailable, "GITHUB_ACCESS_TOKEN"),
        ({"repo_url": "/srv/remote-cache/repo"}, LeanUnavailable, "DISABLE_REMOTE_CACHE=1"),
        ({"repo_url": "not a url"}, ConfigError, "not a valid URL"),
        (
            {"repo_url": "/srv/no-toolchain"},
            LeanUnavailable,
            "lean-toolchain not found: the repository is not a Lean 4",
        ),
        ({"full_name": "stale_trace"}, LeanUnavailable, "trace again with `prover dojo trace`"),
        ({"full_name": "no_lake"}, LeanUnavailable, "run `prover doctor`"),
        ({"full_name": "exploding"}, BackendError, "LeanDojo failed: KeyError"),
    ],
)
async def test_what_the_real_package_raises_becomes_the_projects_error_with_its_fix(
    dojo: DojoBackend, update: dict[str, str], error: type[Exception], fix: str
) -> None:
    for package in ("requests", "github", "pexpect"):  # the dojo extra's: what the real package raises
        pytest.importorskip(package)
    with pytest.raises(error, match=fix) as caught:
        await dojo.start(THEOREM.model_copy(update=update))
    assert "\n" not in str(caught.value)
    assert all(not instance.exited for instance in Dojo.instances)  # a failed enter has nothing to exit


async def test_blocking_lean_dojo_calls_run_off_the_event_loop(dojo: DojoBackend) -> None:
    BLOCKING_THREADS.clear()
    await dojo.start(THEOREM)
    assert len(BLOCKING_THREADS) == 3  # LeanGitRepo, is_available_in_cache, Dojo.__enter__
    assert threading.main_thread() not in BLOCKING_THREADS


def test_called_process_errors_name_the_command_and_the_fix() -> None:
    missing = dojo_failure(subprocess.CalledProcessError(127, "lake build"), what="tracing r@c")
    assert isinstance(missing, LeanUnavailable) and "Lean not found; run `prover doctor`" in str(missing)
    failed = dojo_failure(subprocess.CalledProcessError(1, ["python3", "-c", "x"]), what="tracing r@c")
    assert "`python3 -c x` failed with exit status 1" in str(failed)
    assert failed.exit_code == 3


@pytest.mark.parametrize(
    ("spec", "url", "commit"),
    [
        (
            "https://github.com/yangky11/lean4-example@7b6ecb9",
            "https://github.com/yangky11/lean4-example",
            "7b6ecb9",
        ),
        ("git@github.com:o/r@v4.15.0", "git@github.com:o/r", "v4.15.0"),
        ("/srv/repo@main", "/srv/repo", "main"),
    ],
)
def test_repository_specs(spec: str, url: str, commit: str) -> None:
    parsed = parse_repo_spec(spec)
    assert (parsed.url, parsed.commit, parsed.spec) == (url, commit, spec)


@pytest.mark.parametrize("spec", ["https://github.com/o/r", "@abc", "/srv/repo@", "git@github.com:o/r"])
def test_bad_repository_specs_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError, match="URL@COMMIT"):
        parse_repo_spec(spec)


def test_goals_split_like_lean_dojo() -> None:
    assert split_goals("no goals") == ()
    assert split_goals(TWO_GOALS) == ("case left\na : ℕ\n⊢ 0 ≤ a", "case right\na : ℕ\n⊢ a ≤ a")


@pytest.mark.lean
async def test_real_lean_dojo_on_a_traced_theorem() -> None:
    """Needs LeanDojo's toolchain and a traced repository: PROVER_DOJO_THEOREM=url|commit|file|name."""
    spec = os.environ.get("PROVER_DOJO_THEOREM")
    if not spec:
        pytest.skip("set PROVER_DOJO_THEOREM=url|commit|file|name of a theorem of a traced repository")
    url, commit, file_path, name = spec.split("|")
    backend = DojoBackend(LeanSettings(backend="dojo", timeout_s=120))
    try:
        step = await backend.start(
            DojoTheorem(repo_url=url, commit=commit, file_path=file_path, full_name=name)
        )
        assert step.status is StepStatus.open and step.goals
        assert step.state is not None
        wrong = await backend.run_tactic(step.state, "exact not_a_lemma_anywhere")
        assert wrong.status is StepStatus.error
    finally:
        await backend.close()
