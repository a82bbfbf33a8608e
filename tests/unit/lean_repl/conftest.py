"""Fixtures for the REPL pool tests: a scripted double and a guard that no child process outlives a test."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest


def live_children() -> list[psutil.Process]:
    """Children of this test process (zombies included: they are leftovers too)."""
    return psutil.Process().children(recursive=True)


@pytest.fixture
def no_leftover_children() -> Iterator[None]:
    before = {p.pid for p in live_children()}
    yield
    leftovers = [p for p in live_children() if p.pid not in before]
    assert leftovers == [], f"leftover child processes: {[(p.pid, p.status()) for p in leftovers]}"
