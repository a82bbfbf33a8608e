"""Shared fixtures. Real data lives in ../shared beside the checkout; tests skip with a reason without it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: real-data tests need it")
    return SHARED


@pytest.fixture(scope="session")
def datasets_dir(shared_dir: Path) -> Path:
    return shared_dir / "datasets"


@pytest.fixture(autouse=True)
def _llm_loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests cannot reach a real LLM endpoint by accident: only tests marked `llm` may leave loopback."""
    if request.node.get_closest_marker("llm") is None:
        monkeypatch.setenv("PROVER_TEST_LOOPBACK_ONLY", "1")


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the user's ~/.cache/prover (lemma cache, LLM cache, premise index)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
