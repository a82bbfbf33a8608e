"""The run directory of ``prover eval``: its manifest and the append-only results log.

``runs/NAME/``
  ``run.json``       what the run is (dataset, problems, the settings that change results); resuming with
                     different ones is refused unless forced
  ``results.jsonl``  one ``ResultLine`` per finished problem, appended with flush + fsync, so a ``kill -9``
                     loses at most the problems in flight; a torn last line (killed mid-write) is ignored
                     and overwritten by the next append
  ``sessions.jsonl`` one line per run or resume: verdict-cache counters, workers, backend
  ``summary.json``, ``report.md``, ``pass_rate.png``  written by ``prover.eval.report``
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from prover.errors import InputError
from prover.search.output import write_atomic
from prover.types import Frozen, ProofResult, ProofStatus

log = logging.getLogger(__name__)

MANIFEST = "run.json"
RESULTS = "results.jsonl"
SESSIONS = "sessions.jsonl"


class ResultLine(ProofResult):
    """One finished problem of an eval run: its ``ProofResult`` (``proof`` is the certified theorem text,
    None unless proved) and what an eval reports besides."""

    category: str
    strategy: str | None = None  # the strategy that closed the root goal
    depth: int = 0  # deepest goal of the proof (0: the root was proved directly)
    failure_kinds: dict[str, int] = Field(default_factory=dict)  # Lean's rejections of attempts, by kind
    worker: str = ""  # where it ran (local, or a Ray node)

    @property
    def proved(self) -> bool:
        return self.status is ProofStatus.proved


class SessionLine(Frozen):
    """One run or resume of a run directory."""

    started: str
    backend: str  # local or ray
    workers: int
    problems_run: int
    cache_hits: int = 0
    cache_misses: int = 0
    cache_shared: int = 0
    cache_bypassed: int = 0
    wall_s: float = 0.0


class RunManifest(Frozen):
    """What a run is; two runs with equal manifests give comparable results."""

    dataset: str
    source: str  # the file read
    problems: tuple[str, ...]
    use_llm: bool
    settings: dict[str, Any]  # the result-relevant settings (search, lean profile, models)

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def differences(old: RunManifest, new: RunManifest) -> list[str]:
    """Human-readable keys whose values differ between two manifests (dotted for settings)."""
    changed = [key for key in ("dataset", "problems", "use_llm") if getattr(old, key) != getattr(new, key)]
    keys = sorted(_flatten(old.settings).keys() | _flatten(new.settings).keys())
    flat_old, flat_new = _flatten(old.settings), _flatten(new.settings)
    changed += [key for key in keys if flat_old.get(key) != flat_new.get(key)]
    return changed


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_manifest(run_dir: Path) -> RunManifest | None:
    path = run_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as error:
        raise InputError(f"not a prover run manifest: {error.errors()[0]['msg']}", where=str(path)) from error


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(run_dir / MANIFEST, manifest.model_dump_json(indent=2) + "\n")


def _durable_append(path: Path, lines: Iterable[str]) -> None:
    """Append whole lines and force them to disk. A torn last line of an earlier crash is cut first."""
    with path.open("a+b") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size:
            handle.seek(size - 1)
            if handle.read(1) != b"\n":
                handle.seek(0)
                content = handle.read()
                keep = content.rfind(b"\n") + 1
                handle.truncate(keep)
                log.warning("%s: dropped a torn last line (%d bytes)", path, size - keep)
        handle.seek(0, os.SEEK_END)
        for line in lines:
            handle.write(line.encode("utf-8") + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


class ResultsLog:
    """``results.jsonl`` of one run directory. Only one writer (the driver) appends to it."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / RESULTS

    def append(self, line: ResultLine) -> None:
        _durable_append(self.path, [line.model_dump_json()])

    def __iter__(self) -> Iterator[ResultLine]:
        return iter(read_results(self.path))

    def finished(self) -> set[str]:
        return {line.name for line in self}


def read_results(path: Path) -> list[ResultLine]:
    """Every complete line of a results log (a torn last line is skipped); InputError on a corrupt one."""
    if not path.is_file():
        return []
    raw = path.read_bytes()
    complete, _, torn = raw.rpartition(b"\n")
    if torn:
        log.info("%s: ignoring a torn last line", path)
    lines: list[ResultLine] = []
    for number, text in enumerate(complete.decode("utf-8").split("\n") if complete else [], start=1):
        if not text.strip():
            continue
        try:
            lines.append(ResultLine.model_validate_json(text))
        except ValidationError as error:
            raise InputError(
                f"not a results line: {error.errors()[0]['msg']}", where=f"{path}:{number}"
            ) from error
    return lines


def append_session(run_dir: Path, session: SessionLine) -> None:
    _durable_append(run_dir / SESSIONS, [session.model_dump_json()])


def read_sessions(run_dir: Path) -> list[SessionLine]:
    path = run_dir / SESSIONS
    if not path.is_file():
        return []
    complete = path.read_bytes().rpartition(b"\n")[0].decode("utf-8")
    return [SessionLine.model_validate_json(text) for text in complete.split("\n") if text.strip()]
