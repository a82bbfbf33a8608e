"""ReplBackend against the scripted double: header reuse, positions, scheduling, recycling, stale states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.errors import BackendError, LeanUnavailable, StaleStateError
from prover.lean.backend import LeanBackend
from prover.lean.process import ADDRESS_SPACE_FACTOR, ReplProcess
from prover.lean.repl import ReplBackend
from prover.lean.sync import SyncLean
from prover.settings import LeanSettings
from prover.types import Pos, StepStatus, Verdict
from tests.fakes.repl_script import Script, error, requests

HEADER = "import Mathlib\nopen Real\n\n"


def _backend(script: Script, tmp_path: Path, **lean: object) -> ReplBackend:
    settings = LeanSettings(**{"workers": 2, "timeout_s": 10, **lean})  # type: ignore[arg-type]
    return ReplBackend(settings, command=script.command(tmp_path))


def _imports(tmp_path: Path) -> int:
    return sum(1 for r in requests(tmp_path) if str(r.get("cmd", "")).startswith("import"))


def _position(text: str, needle: str) -> Pos:
    before = text[: text.index(needle)]
    return Pos(line=before.count("\n") + 1, column=len(before) - before.rfind("\n") - 1)


async def test_is_a_lean_backend_with_the_repl_capabilities(tmp_path: Path) -> None:
    backend = _backend(Script(), tmp_path)
    assert isinstance(backend, LeanBackend)
    assert backend.capabilities == {"command", "tactics", "sorry_states", "pickle"}
    await backend.close()


async def test_header_is_elaborated_once_per_process_and_bodies_reuse_its_env(
    tmp_path: Path, no_leftover_children: None
) -> None:
    backend = _backend(Script(), tmp_path, workers=2)
    codes = [HEADER + f"theorem t{i} : True := trivial" for i in range(8)]
    results = await backend.check_many(codes)
    await backend.close()
    assert [r.verdict for r in results] == [Verdict.valid] * 8
    sent = requests(tmp_path)
    assert _imports(tmp_path) == backend.stats.processes_started == backend.stats.headers_elaborated == 2
    bodies = [r for r in sent if "theorem" in r.get("cmd", "")]
    assert len(bodies) == 8 and all(r["env"] == 0 and not r["cmd"].startswith("import") for r in bodies)


async def test_positions_refer_to_the_text_the_caller_passed(tmp_path: Path) -> None:
    script = Script().on_cmd("nlinarith", messages=[error("linarith failed", at="nlinarith [sq_nonneg x]")])
    backend = _backend(script, tmp_path)
    code = HEADER + "theorem t (x : ℝ) : 0 ≤ x ^ 2 := by\n  nlinarith [sq_nonneg x]\n"
    result = await backend.check(code)
    sorry_code = HEADER + "theorem s : True := by\n  sorry"
    with_sorry = await backend.check(sorry_code)
    await backend.close()
    assert result.verdict is Verdict.lean_error
    assert result.messages[0].pos == _position(code, "nlinarith [")
    assert result.messages[0].end_pos == Pos(line=5, column=2 + len("nlinarith [sq_nonneg x]"))
    assert with_sorry.verdict is Verdict.sorry
    assert with_sorry.sorries[0].pos == _position(sorry_code, "sorry")
    assert with_sorry.messages[0].pos == _position(sorry_code, "s : True")


async def test_a_header_lean_rejects_is_not_reused(tmp_path: Path) -> None:
    script = Script().on_cmd(r"^import Nope", messages=[error("unknown package 'Nope'", at="Nope")])
    backend = _backend(script, tmp_path, workers=1)
    code = "import Nope\ntheorem t : True := trivial"
    first = await backend.check(code)
    second = await backend.check(code)
    await backend.close()
    assert first.verdict is second.verdict is Verdict.lean_error
    assert first.messages[0].pos == Pos(line=1, column=7)
    assert [r for r in requests(tmp_path) if "theorem" in r["cmd"]] == [{"cmd": code}, {"cmd": code}]


async def test_another_header_restarts_the_process(tmp_path: Path) -> None:
    backend = _backend(Script(), tmp_path, workers=1)
    await backend.check("import Mathlib\ntheorem a : True := trivial")
    await backend.check("import Lean\ntheorem b : True := trivial")
    await backend.check("import Lean\ntheorem c : True := trivial")
    await backend.close()
    assert backend.stats.processes_started == 2
    assert _imports(tmp_path) == 2


async def test_fresh_check_sends_the_whole_text_without_env(tmp_path: Path) -> None:
    backend = _backend(Script(), tmp_path, workers=1)
    await backend.check(HEADER + "theorem a : True := trivial")
    code = HEADER + "theorem b : True := trivial"
    result = await backend.check(code, fresh=True)
    await backend.close()
    assert result.verdict is Verdict.valid
    assert requests(tmp_path)[-1] == {"cmd": code}


async def test_check_many_spreads_over_all_workers(tmp_path: Path) -> None:
    script = Script(delay=0.2)
    backend = _backend(script, tmp_path, workers=3)
    await backend.check_many([f"theorem t{i} : True := trivial" for i in range(9)])
    await backend.close()
    log = (tmp_path / "requests.jsonl").read_text().splitlines()
    assert len({line.split(",")[0] for line in log}) == 3  # three distinct pids answered


async def test_tactics_continue_from_sorry_states(tmp_path: Path) -> None:
    script = Script(default_goal="x : ℕ\n⊢ x + 0 = x")
    script.on_tactic(r"^intro", goals=["⊢ x = x"]).on_tactic(r"^bad", error="unknown tactic")
    backend = _backend(script, tmp_path)
    result = await backend.check(HEADER + "theorem t (x : ℕ) : x + 0 = x := by\n  sorry")
    state = result.sorries[0].state
    assert state is not None and result.sorries[0].goal == "x : ℕ\n⊢ x + 0 = x"
    opened = await backend.run_tactic(state, "intro h")
    assert opened.status is StepStatus.open and opened.goals == ("⊢ x = x",)
    assert opened.state is not None
    assert (await backend.run_tactic(opened.state, "rfl")).status is StepStatus.proved
    failed = await backend.run_tactic(state, "bad")
    assert failed.status is StepStatus.error and "unknown tactic" in failed.messages[0].text
    await backend.close()
    tactic_requests = [r for r in requests(tmp_path) if "tactic" in r]
    assert [r["proofState"] for r in tactic_requests] == [
        state.proof_state,
        opened.state.proof_state,
        state.proof_state,
    ]


async def test_process_is_retired_after_max_requests_and_its_states_go_stale(
    tmp_path: Path, no_leftover_children: None
) -> None:
    backend = _backend(Script(), tmp_path, workers=1, max_requests_per_process=3)
    first = await backend.check("theorem s : True := by sorry")
    for i in range(6):
        assert (await backend.check(f"theorem t{i} : True := trivial")).verdict is Verdict.valid
    assert backend.stats.processes_started == 3
    assert backend.stats.retired_for_age == 2
    state = first.sorries[0].state
    assert state is not None
    with pytest.raises(StaleStateError):
        await backend.run_tactic(state, "trivial")
    await backend.close()


async def test_process_is_retired_when_memory_passes_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReplProcess, "rss_mb", lambda self: 10_000.0)
    backend = _backend(Script(), tmp_path, workers=1, memory_limit_mb=1024)
    await backend.check("theorem a : True := trivial")
    await backend.check("theorem b : True := trivial")
    await backend.close()
    assert backend.stats.retired_for_memory == 2
    assert backend.stats.processes_started == 2


async def test_missing_repl_raises_lean_unavailable(tmp_path: Path) -> None:
    backend = ReplBackend(LeanSettings(workers=1), command=[str(tmp_path / "no-such-repl")])
    with pytest.raises(LeanUnavailable, match="cannot start the Lean REPL"):
        await backend.check("theorem a : True := trivial")
    await backend.close()
    unbuilt = ReplBackend(LeanSettings(workers=1, project_dir=tmp_path))
    with pytest.raises(LeanUnavailable, match=r"lake|REPL binary"):
        await unbuilt.check("theorem a : True := trivial")


async def test_closed_pool_refuses_work(tmp_path: Path) -> None:
    backend = _backend(Script(), tmp_path)
    await backend.close()
    with pytest.raises(BackendError, match="closed"):
        await backend.check("theorem a : True := trivial")


def test_sync_facade_runs_checks_on_its_own_loop(tmp_path: Path, no_leftover_children: None) -> None:
    with SyncLean(_backend(Script(), tmp_path)) as lean:
        assert lean.check("theorem a : True := trivial").verdict is Verdict.valid
        results = lean.check_many(["theorem b : True := by sorry", "theorem c : True := trivial"])
        assert [r.verdict for r in results] == [Verdict.sorry, Verdict.valid]


async def test_children_run_under_an_address_space_limit(tmp_path: Path) -> None:
    backend = _backend(Script(), tmp_path, workers=1, memory_limit_mb=512)
    try:
        await backend.check("theorem a : True := trivial")
        pid = json.loads((tmp_path / "requests.jsonl").read_text().splitlines()[0])["pid"]
        limits = Path(f"/proc/{pid}/limits").read_text()
    finally:
        await backend.close()
    line = next(row for row in limits.splitlines() if row.startswith("Max address space"))
    assert int(line.split()[3]) == 512 * ADDRESS_SPACE_FACTOR * 1024 * 1024
