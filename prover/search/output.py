"""Writing results: atomic file writes (temporary file + ``os.replace``) and the ``.bak`` of ``--in-place``.

A reader never sees a half-written file, and an interrupted run leaves the input exactly as it was: the
input is only ever replaced, in one step, after the new text is complete on disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prover.errors import InputError


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step (same directory temporary file, fsync, replace)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=str(path)) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_in_place(path: Path, original: str, text: str) -> Path:
    """Keep ``original`` as ``PATH.bak``, then replace ``path`` with ``text``; returns the backup path."""
    backup = backup_path(path)
    write_atomic(backup, original)
    write_atomic(path, text)
    return backup
