"""One Z3 worker process shared by the SMT tests (starting one costs ~0.3 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prover.settings import SmtSettings
from prover.smt.engine import SmtEngine


@pytest.fixture(scope="session")
def engine() -> Iterator[SmtEngine]:
    with SmtEngine(SmtSettings(timeout_s=2.0, small_instance_bound=8)) as shared:
        yield shared
