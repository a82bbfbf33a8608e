"""Fixtures for the LLM layer's unit tests."""

from __future__ import annotations

import pytest

from prover.llm.guard import LOOPBACK_ONLY_ENV


@pytest.fixture(autouse=True)
def _loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests not marked ``llm`` cannot reach a real endpoint by accident."""
    if request.node.get_closest_marker("llm") is None:
        monkeypatch.setenv(LOOPBACK_ONLY_ENV, "1")
