"""The Lean verdict cache: repeated checks are paid once, certification never uses it, unsafe results are
not stored, and a changed Lake project is a new key space."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from prover.lean.verdict_cache import CachedBackend, VerdictCache
from prover.types import (
    CheckResult,
    Message,
    Pos,
    Severity,
    SorryGoal,
    StateRef,
    StepResult,
    StepStatus,
    Verdict,
)

OK = CheckResult(verdict=Verdict.valid, env=7)
REJECTED = CheckResult(
    verdict=Verdict.lean_error,
    messages=(Message(severity=Severity.error, pos=Pos(line=3, column=2), text="linarith failed"),),
)


class CountingBackend:
    """Answers from a table and counts what reached it; ``gate`` holds answers back until set."""

    def __init__(self, answers: dict[str, CheckResult]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, bool]] = []
        self.gate: asyncio.Event | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({"command"})

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        self.calls.append((code, fresh))
        if self.gate is not None:
            await self.gate.wait()
        return self.answers[code]

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return [await self.check(code) for code in codes]

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        return StepResult(status=StepStatus.error)

    async def close(self) -> None:
        pass


def project(tmp_path: Path, toolchain: str = "leanprover/lean4:v4.15.0") -> Path:
    directory = tmp_path / "lean_project"
    directory.mkdir(exist_ok=True)
    (directory / "lean-toolchain").write_text(toolchain)
    return directory


def cached(tmp_path: Path, inner: CountingBackend, **kwargs: str) -> CachedBackend:
    cache = VerdictCache(tmp_path / "v.sqlite3", profile="v4.15.0", project_dir=project(tmp_path, **kwargs))
    return CachedBackend(inner, cache)


async def test_a_repeated_check_is_answered_from_the_cache_across_sessions(tmp_path: Path) -> None:
    inner = CountingBackend({"a": OK, "b": REJECTED})
    first = cached(tmp_path, inner)
    assert await first.check("a") == OK
    assert await first.check("b") == REJECTED
    assert await first.check("b") == REJECTED
    assert [c for c, _ in inner.calls] == ["a", "b"]
    first.cache.close()
    second = cached(tmp_path, inner)  # a resumed run opens the same file
    again = await second.check("a")
    assert again.verdict is Verdict.valid and again.env is None  # no process-bound environment id
    assert len(inner.calls) == 2 and second.stats.hits == 1 and second.stats.hit_rate == 1.0


async def test_certification_always_reaches_lean(tmp_path: Path) -> None:
    inner = CountingBackend({"a": OK})
    backend = cached(tmp_path, inner)
    await backend.check("a")
    await backend.check("a", fresh=True)
    await backend.check("a", fresh=True)
    assert inner.calls == [("a", False), ("a", True), ("a", True)]
    assert backend.stats.bypassed == 2


async def test_machine_dependent_and_process_bound_results_are_not_stored(tmp_path: Path) -> None:
    with_state = CheckResult(
        verdict=Verdict.sorry,
        sorries=(
            SorryGoal(
                goal="⊢ True",
                pos=Pos(line=1, column=0),
                state=StateRef(backend="repl", worker=0, generation=1, proof_state=3),
            ),
        ),
    )
    inner = CountingBackend(
        {"t": CheckResult(verdict=Verdict.timeout), "c": CheckResult(verdict=Verdict.crash), "s": with_state}
    )
    backend = cached(tmp_path, inner)
    for code in ("t", "c", "s", "t", "c", "s"):
        await backend.check(code)
    assert len(inner.calls) == 6 and len(backend.cache) == 0


async def test_identical_checks_in_flight_are_sent_once(tmp_path: Path) -> None:
    inner = CountingBackend({"a": OK})
    inner.gate = asyncio.Event()
    backend = cached(tmp_path, inner)
    waiting = [asyncio.ensure_future(backend.check("a")) for _ in range(3)]
    await asyncio.sleep(0)
    inner.gate.set()
    assert await asyncio.gather(*waiting) == [OK, OK, OK]
    assert len(inner.calls) == 1 and backend.stats.shared == 2


async def test_a_changed_lean_project_invalidates_the_cache(tmp_path: Path) -> None:
    inner = CountingBackend({"a": OK})
    old = cached(tmp_path, inner)
    await old.check("a")
    old.cache.close()
    new = cached(tmp_path, inner, toolchain="leanprover/lean4:v4.24.0")
    await new.check("a")
    assert len(inner.calls) == 2 and new.stats.misses == 1


async def test_check_many_sends_only_the_distinct_misses(tmp_path: Path) -> None:
    inner = CountingBackend({"a": OK, "b": REJECTED})
    backend = cached(tmp_path, inner)
    await backend.check("a")
    answers = await backend.check_many(["a", "b", "b", "a"])
    assert [r.verdict for r in answers] == [
        Verdict.valid,
        Verdict.lean_error,
        Verdict.lean_error,
        Verdict.valid,
    ]
    assert answers[1] == REJECTED
    assert [c for c, _ in inner.calls] == ["a", "b"]
