"""Z3 runs in a separate process: a hang or a crash there yields a result, never a stuck or dead caller."""

from __future__ import annotations

import pytest

from prover.smt import worker as worker_module
from prover.smt.statement import query_from_statement
from prover.smt.worker import Answer, Z3Worker

QUERY = query_from_statement("theorem t (x : ℤ) (h : 0 < x) : 0 < x + 1 := by")
SILENT_WORKER = (
    "import sys, time; from multiprocessing.connection import Connection; "
    "c = Connection(int(sys.argv[1])); c.send('ready'); c.recv(); time.sleep(600)"
)


def test_a_hanging_worker_is_killed_at_the_hard_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "WORKER_ENTRY", SILENT_WORKER)
    monkeypatch.setattr(worker_module, "HARD_DEADLINE_GRACE_S", 0.2)
    with Z3Worker() as hung:
        outcome = hung.solve(QUERY, timeout_s=0.1)
        assert "hard deadline" in outcome.failure
        assert hung._process is None  # killed and forgotten


def test_a_crashed_worker_is_reported_then_replaced() -> None:
    with Z3Worker() as z3_worker:
        assert z3_worker.solve(QUERY, timeout_s=2.0).negation is Answer.unsat
        assert z3_worker._process is not None
        z3_worker._process.kill()
        z3_worker._process.wait()
        crashed = z3_worker.solve(QUERY, timeout_s=2.0)
        assert crashed.failure and crashed.negation is Answer.skipped
        assert z3_worker.solve(QUERY, timeout_s=2.0).negation is Answer.unsat


def test_z3_timeout_gives_unknown_not_an_error() -> None:
    hard = query_from_statement(
        "theorem t (x y z : ℤ) (h₀ : 1 < x) (h₁ : 1 < y) (h₂ : 1 < z) : x ^ 7 + y ^ 7 ≠ z ^ 7 := by"
    )
    with Z3Worker() as z3_worker:
        outcome = z3_worker.solve(hard, timeout_s=0.2)
    assert outcome.negation in (Answer.unknown, Answer.unsat)
