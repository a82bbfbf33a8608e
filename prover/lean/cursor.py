"""The theorem under an editor's cursor (``prover prove --at LINE``)."""

from __future__ import annotations

from pathlib import Path

from prover.errors import LeanSourceError
from prover.lean.source import read_lean_file
from prover.lean.text import parse_file


def theorem_at(text: str, line: int, *, source: str = "<input>") -> str:
    """The full name of the theorem whose text spans 1-based ``line`` (its docstring and attributes count)."""
    for declaration in parse_file(text).theorems:
        if declaration.span.start.line <= line <= declaration.span.end.line:
            return declaration.full_name
    raise LeanSourceError(f"no theorem at line {line}", path=source, line=line)


def theorem_at_path(path: Path, line: int) -> str:
    return theorem_at(read_lean_file(path), line, source=str(path))
