"""Which problems an eval runs: a dataset from the registry (or ``--file``), filtered by split, names, limit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from prover.data.problems import load_problems
from prover.data.registry import dataset_file, find_source, load_registry
from prover.errors import InputError
from prover.settings import Settings
from prover.types import Frozen, Problem


class Selection(Frozen):
    dataset: str  # DATASET.VARIANT, or the file's stem with --file
    path: Path
    problems: tuple[Problem, ...]


def dataset_path(
    settings: Settings, dataset: str, variant: str | None, file: Path | None
) -> tuple[str, Path]:
    """The file to read: ``file`` as given (schema detected from its rows), else the registry's copy."""
    if file is not None:
        if not file.is_file():
            raise InputError("dataset file not found", where=str(file))
        return (f"{dataset}.{variant}" if variant else f"{dataset}:{file.stem}"), file
    source = find_source(load_registry(), dataset, variant)
    if not source.is_problem_set:
        raise InputError(f"{source.name} is not a set of theorem statements (schema {source.schema_name})")
    return source.name, dataset_file(source, settings.cache_dir, timeout_s=settings.eval.download_timeout_s)


def select_problems(
    settings: Settings,
    dataset: str,
    *,
    variant: str | None = None,
    file: Path | None = None,
    split: str | None = None,
    names: Sequence[str] = (),
    limit: int | None = None,
) -> Selection:
    """The problems of a run, in file order; InputError naming what does not exist."""
    label, path = dataset_path(settings, dataset, variant, file)
    problems = load_problems(path)
    if split is not None:
        splits = {p.split for p in problems}
        problems = [p for p in problems if p.split == split]
        if not problems:
            raise InputError(
                f"no problem of split {split!r} (splits here: {sorted(map(str, splits))})", where=str(path)
            )
    if names:
        by_name = {p.name: p for p in problems}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise InputError(f"no problem named {', '.join(missing)}", where=str(path))
        problems = [by_name[n] for n in dict.fromkeys(names)]
    if limit is not None:
        problems = problems[:limit]
    return Selection(dataset=label, path=path, problems=tuple(problems))
