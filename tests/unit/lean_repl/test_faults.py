"""Acceptance: every injected fault gives the right verdict within timeout + 2 s, the pool recovers, and no
child process is left behind."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from prover.errors import StaleStateError
from prover.lean.repl import ReplBackend
from prover.settings import LeanSettings
from prover.types import StepStatus, Verdict
from tests.fakes.repl_script import Script

TIMEOUT = 1.0
GRACE = 2.0
HEADER = "import Mathlib\n"


@pytest.mark.parametrize(
    ("fault", "verdict"),
    [
        ("hang", Verdict.timeout),
        ("partial", Verdict.crash),
        ("empty", Verdict.crash),
        ("exit137", Verdict.crash),
        ("segv", Verdict.crash),
        ("garbage", Verdict.backend_error),
    ],
)
async def test_fault_gives_its_verdict_in_time_and_the_pool_recovers(
    fault: str, verdict: Verdict, tmp_path: Path, no_leftover_children: None
) -> None:
    script = Script(fault=fault, fault_match="FAULTY")
    backend = ReplBackend(LeanSettings(workers=2, timeout_s=TIMEOUT), command=script.command(tmp_path))
    try:
        warm = await backend.check_many([HEADER + "theorem w : True := trivial"] * 2)
        assert [r.verdict for r in warm] == [Verdict.valid] * 2
        started = time.monotonic()
        result = await backend.check(HEADER + "theorem FAULTY : True := trivial")
        elapsed = time.monotonic() - started
        assert result.verdict is verdict
        assert elapsed < TIMEOUT + GRACE
        after = await backend.check_many([HEADER + f"theorem ok{i} : True := trivial" for i in range(4)])
        assert [r.verdict for r in after] == [Verdict.valid] * 4
        assert backend.stats.processes_started == 3  # the broken process, and only it, was replaced
    finally:
        await backend.close()


async def test_per_request_delay_beyond_the_timeout_is_a_timeout(
    tmp_path: Path, no_leftover_children: None
) -> None:
    script = Script().on_cmd("SLOW", delay=30)
    backend = ReplBackend(LeanSettings(workers=1, timeout_s=TIMEOUT), command=script.command(tmp_path))
    try:
        started = time.monotonic()
        result = await backend.check("theorem SLOW : True := trivial")
        assert result.verdict is Verdict.timeout
        assert time.monotonic() - started < TIMEOUT + GRACE
        assert (await backend.check("theorem fine : True := trivial")).verdict is Verdict.valid
    finally:
        await backend.close()
    pids = {json.loads(line)["pid"] for line in (tmp_path / "requests.jsonl").read_text().splitlines()}
    assert len(pids) == 2
    # SIGKILL to the group is delivered asynchronously; the orphaned grandchild is reaped by init, not by us.
    assert [pid for pid in pids if not _dies_within(pid, seconds=5.0)] == []


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _dies_within(pid: int, *, seconds: float) -> bool:
    """True once ``pid`` is gone or a zombie; False if it still runs after ``seconds`` (a real leak)."""
    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return True
    try:
        process.wait(timeout=seconds)
    except psutil.TimeoutExpired:
        return not _running(pid)
    return True


async def test_slow_import_within_the_import_timeout_is_fine(
    tmp_path: Path, no_leftover_children: None
) -> None:
    script = Script(import_delay=0.5)
    lean = LeanSettings(workers=1, timeout_s=TIMEOUT, import_timeout_s=10)
    backend = ReplBackend(lean, command=script.command(tmp_path))
    try:
        results = await backend.check_many([HEADER + f"theorem t{i} : True := trivial" for i in range(3)])
        assert [r.verdict for r in results] == [Verdict.valid] * 3
        assert backend.stats.headers_elaborated == 1
    finally:
        await backend.close()


async def test_import_slower_than_the_import_timeout_is_a_timeout(
    tmp_path: Path, no_leftover_children: None
) -> None:
    script = Script(import_delay=30)
    lean = LeanSettings(workers=1, timeout_s=TIMEOUT, import_timeout_s=1.0)
    backend = ReplBackend(lean, command=script.command(tmp_path))
    try:
        started = time.monotonic()
        result = await backend.check(HEADER + "theorem t : True := trivial")
        assert result.verdict is Verdict.timeout
        assert time.monotonic() - started < lean.import_timeout_s + GRACE
        assert (await backend.check("theorem no_header : True := trivial")).verdict is Verdict.valid
    finally:
        await backend.close()


async def test_hanging_tactic_times_out_and_its_states_become_stale(
    tmp_path: Path, no_leftover_children: None
) -> None:
    script = Script().on_tactic("HANG", fault="hang")
    backend = ReplBackend(LeanSettings(workers=1, timeout_s=TIMEOUT), command=script.command(tmp_path))
    try:
        checked = await backend.check("theorem t : True := by sorry")
        state = checked.sorries[0].state
        assert state is not None
        started = time.monotonic()
        step = await backend.run_tactic(state, "HANG")
        assert step.status is StepStatus.timeout
        assert time.monotonic() - started < TIMEOUT + GRACE
        with pytest.raises(StaleStateError):
            await backend.run_tactic(state, "trivial")
        again = await backend.check("theorem t : True := by sorry")
        assert again.sorries[0].state is not None
        assert (await backend.run_tactic(again.sorries[0].state, "trivial")).status is StepStatus.proved
    finally:
        await backend.close()


async def test_crash_of_lake_kills_the_whole_process_group(
    tmp_path: Path, no_leftover_children: None
) -> None:
    """``lake env repl`` runs the REPL as a grandchild: a timeout must kill it too, not only lake."""
    script = Script().on_cmd("HANG", fault="hang")
    wrapper = tmp_path / "lake_env.sh"
    wrapper.write_text('#!/bin/sh\n"$@"\nexit $?\n')
    wrapper.chmod(0o755)
    command = [str(wrapper), *script.command(tmp_path)]
    backend = ReplBackend(LeanSettings(workers=1, timeout_s=TIMEOUT), command=command)
    try:
        assert (await backend.check("theorem HANG : True := trivial")).verdict is Verdict.timeout
        assert (await backend.check("theorem fine : True := trivial")).verdict is Verdict.valid
    finally:
        await backend.close()
    pids = {json.loads(line)["pid"] for line in (tmp_path / "requests.jsonl").read_text().splitlines()}
    assert len(pids) == 2
    # SIGKILL to the group is delivered asynchronously; the orphaned grandchild is reaped by init, not by us.
    assert [pid for pid in pids if not _dies_within(pid, seconds=5.0)] == []
