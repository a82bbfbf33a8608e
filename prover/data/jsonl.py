"""Read JSON Lines files row by row, naming the file and line of a bad row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prover.errors import InputError


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, row)`` for each non-blank line; InputError at ``path:line`` on a bad one."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read dataset: {error.strerror}", where=str(path)) from error
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"not JSON: {error.msg}", where=f"{path}:{number}") from error
                if not isinstance(row, dict):
                    raise InputError("a row must be a JSON object", where=f"{path}:{number}")
                yield number, row
        except UnicodeDecodeError as error:
            raise InputError("not UTF-8 text", where=str(path)) from error
