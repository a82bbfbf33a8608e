"""Where the real REPL transcripts live (``../shared/data/lean-repl-transcripts``) and how to read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.repl_double import split_transcript_requests, split_transcript_responses

TRANSCRIPTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "lean-repl-transcripts"


def transcript_pairs(root: Path = TRANSCRIPTS) -> list[Path]:
    """Every ``.in`` that has an ``.expected.out`` beside it, in the upstream runner's (C collation) order."""
    if not root.is_dir():
        return []
    inputs = sorted(root.rglob("*.in"), key=lambda p: str(p).encode())
    return [p for p in inputs if expected_of(p).is_file()]


def expected_of(transcript: Path) -> Path:
    return transcript.with_name(transcript.name[: -len(".in")] + ".expected.out")


def working_dir(transcript: Path) -> Path:
    """Where upstream runs a transcript: the repository root for core tests, ``test/Mathlib`` for Mathlib ones
    (paths inside ``.in`` files are relative to it)."""
    parts = transcript.parts
    last_test = max(i for i, part in enumerate(parts[:-1]) if part == "test")
    return Path(*parts[:last_test])


def load_pair(transcript: Path) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """(request, expected answer, expected answer text) for each exchange of a transcript."""
    requests = split_transcript_requests(transcript.read_text(encoding="utf-8"))
    texts = split_transcript_responses(expected_of(transcript).read_text(encoding="utf-8"))
    return [(json.loads(q), json.loads(t), t) for q, t in zip(requests, texts, strict=True)]


def label(transcript: Path, root: Path = TRANSCRIPTS) -> str:
    return str(transcript.relative_to(root))
