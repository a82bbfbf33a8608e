"""Fixtures of the Lean backend tests: the recorded Kimina transcripts and a running fake Kimina server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.kimina_server import KiminaFakeServer, Transcript, load_transcripts


@pytest.fixture(scope="session")
def kimina_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "kimina-verify-transcripts"


@pytest.fixture(scope="session")
def kimina_transcripts(kimina_dir: Path) -> list[Transcript]:
    return load_transcripts(kimina_dir)


@pytest.fixture
def kimina_fake(kimina_transcripts: list[Transcript]) -> Iterator[KiminaFakeServer]:
    with KiminaFakeServer.from_transcripts(kimina_transcripts) as server:
        yield server


@pytest.fixture
def empty_kimina_fake() -> Iterator[KiminaFakeServer]:
    """A fake with no recordings: tests add the answers they need."""
    with KiminaFakeServer() as server:
        yield server
