"""Real miniF2F data for the text-toolkit tests, loaded once per session (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.data.minif2f import (
    PROOF_FILES,
    STATEMENT_FILES,
    PublishedProof,
    load_problems,
    load_published_proofs,
)
from prover.types import Problem


@pytest.fixture(scope="session")
def statement_variants(datasets_dir: Path) -> dict[str, list[Problem]]:
    return {stem: load_problems(datasets_dir / "minif2f" / f"{stem}.jsonl") for stem in STATEMENT_FILES}


@pytest.fixture(scope="session")
def published_proofs(datasets_dir: Path) -> dict[str, list[PublishedProof]]:
    return {
        stem: load_published_proofs(datasets_dir / "minif2f-proofs" / f"{stem}.jsonl") for stem in PROOF_FILES
    }
