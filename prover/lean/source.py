"""Reading Lean source files the user names: one place, one set of one-line errors (exit 2).

The only rewrites keep every line and column: a leading byte-order mark (which editors do not count as a
column) is dropped, and ``\\r\\n`` becomes ``\\n`` (the ``\\r`` ends a line anyway).
"""

from __future__ import annotations

from pathlib import Path

from prover.errors import LeanSourceError


def read_lean_file(path: Path) -> str:
    """The file's text; ``LeanSourceError`` (exit 2) naming the file when it is missing or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise LeanSourceError("no such file", path=path) from exc
    except IsADirectoryError as exc:
        raise LeanSourceError("is a directory, not a file", path=path) from exc
    except OSError as exc:
        raise LeanSourceError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LeanSourceError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path=path, line=line
        ) from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n")
