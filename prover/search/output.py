"""Writing results: atomic file writes (temporary file + ``os.replace``) and the ``.bak`` of ``--in-place``.

A reader never sees a half-written file, and an interrupted run leaves the input exactly as it was: the
input is only ever replaced, in one step, after the new text is complete on disk. Every output path is
checked before any work starts (``check_output_file``, ``check_output_dir``), so hours of search are never
lost to a typo in ``--out``. A new file gets the mode the user's umask gives (not ``mkstemp``'s 0600); a
replaced file keeps its own mode.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prover.errors import InputError


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def new_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0666 minus the umask."""
    return 0o666 & ~_umask()


def write_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` in one step (same directory temporary file, fsync, replace).

    The file gets ``mode`` when given, else the mode of the file it replaces, else the umask's."""
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError("is a directory; give a file name", where=str(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", where=str(path)) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is None:
            mode = path.stat().st_mode & 0o7777 if path.exists() else new_file_mode()
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror}", where=str(path)) from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_in_place(path: Path, original: str, text: str) -> Path:
    """Keep ``original`` as ``PATH.bak`` (with the input's mode), then replace ``path`` with ``text``;
    returns the backup path."""
    backup = backup_path(path)
    write_atomic(backup, original, mode=path.stat().st_mode & 0o7777)
    write_atomic(path, text)
    return backup


def _writable_dir(directory: Path, flag: str, target: Path) -> None:
    if not directory.exists():
        raise InputError(f"{flag}: directory {directory} does not exist", where=str(target))
    if not directory.is_dir():
        raise InputError(f"{flag}: {directory} is not a directory", where=str(target))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(f"{flag}: cannot write in directory {directory}", where=str(target))


def check_output_file(path: Path, flag: str) -> None:
    """``InputError`` (exit 2) unless ``write_atomic(path, …)`` can work: checked before any work starts."""
    if path.is_dir():
        raise InputError(f"{flag}: is a directory; give a file name", where=str(path))
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{flag}: file is not writable", where=str(path))
    _writable_dir(path.parent if str(path.parent) else Path("."), flag, path)


def check_output_dir(path: Path, flag: str) -> None:
    """``InputError`` unless ``path`` is a writable directory or can be created as one."""
    if path.exists():
        if not path.is_dir():
            raise InputError(f"{flag}: exists and is not a directory", where=str(path))
        _writable_dir(path, flag, path)
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    _writable_dir(ancestor, flag, path)
