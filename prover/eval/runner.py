"""``prover eval``: prove a dataset's problems into a run directory, resumably, locally or on Ray.

The driver alone writes ``results.jsonl`` (one line per finished problem, as each finishes). Resuming skips
every problem with a line and never writes one twice. The local pool runs ``workers`` problems at a time in
one event loop over one Lean backend (wrapped by the verdict cache); Ray runs each problem as a task
(``prover.eval.ray_backend``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prover.errors import InputError
from prover.eval.prove_problem import prove_problem
from prover.eval.results import (
    ResultLine,
    ResultsLog,
    RunManifest,
    SessionLine,
    append_session,
    differences,
    read_manifest,
    write_manifest,
)
from prover.lean.backend import LeanBackend
from prover.lean.verdict_cache import CachedBackend, CacheStats, VerdictCache
from prover.search.strategies.base import SmtDecider
from prover.settings import Settings
from prover.types import Frozen, Problem, SmtResult

log = logging.getLogger(__name__)

VERDICT_CACHE_FILE = "lean_verdicts.sqlite3"
ResultCallback = Callable[[ResultLine], None]


class EvalOptions(Frozen):
    dataset: str
    source: str  # the file the problems came from
    use_llm: bool = True
    resume: bool = False
    force: bool = False


class EvalOutcome(Frozen):
    run_dir: Path
    total: int
    skipped: int  # finished in an earlier session (resume)
    ran: tuple[ResultLine, ...]
    session: SessionLine


def result_settings(settings: Settings, use_llm: bool) -> dict[str, Any]:
    """The settings that change what a run proves (not paths, workers or where it runs)."""
    dumped = settings.model_dump(mode="json")
    roles = {
        role: {
            k: v for k, v in dumped["llm"][role].items() if k not in ("api_key_env", "concurrency", "device")
        }
        for role in ("reasoner", "prover", "step")
    }
    return {
        "lean": {k: dumped["lean"][k] for k in ("backend", "profile", "timeout_s", "allow_native_decide")},
        "llm": roles if use_llm else "none",
        "search": dumped["search"],
        "smt": dumped["smt"],
    }


def manifest_for(settings: Settings, options: EvalOptions, problems: Sequence[Problem]) -> RunManifest:
    return RunManifest(
        dataset=options.dataset,
        source=options.source,
        problems=tuple(p.name for p in problems),
        use_llm=options.use_llm,
        settings=result_settings(settings, options.use_llm),
    )


def prepare_run_dir(run_dir: Path, manifest: RunManifest, *, resume: bool, force: bool) -> set[str]:
    """Check ``run_dir`` against ``manifest``; returns the problems already finished there.

    Refused (InputError, exit 2): a directory with results without ``resume``; resuming a run recorded with
    other settings, other problems or another dataset, unless ``force``.
    """
    log_file = ResultsLog(run_dir)
    finished = log_file.finished()
    recorded = read_manifest(run_dir)
    if finished and not resume:
        raise InputError(
            f"already holds {len(finished)} result(s): add --resume to continue it, or choose another --out",
            where=str(run_dir),
        )
    if resume and recorded is not None and recorded.fingerprint != manifest.fingerprint and not force:
        changed = ", ".join(differences(recorded, manifest)[:6])
        raise InputError(
            f"was run with different settings ({changed}): resume with the same ones, or add --force",
            where=str(run_dir),
        )
    write_manifest(run_dir, manifest)
    return finished


def open_verdict_cache(settings: Settings) -> VerdictCache | None:
    if not settings.eval.verdict_cache:
        return None
    path = settings.eval.verdict_cache_path or settings.cache_dir / VERDICT_CACHE_FILE
    return VerdictCache(path, profile=settings.lean.profile, project_dir=settings.lean.resolved_project_dir())


def run_eval(
    settings: Settings,
    options: EvalOptions,
    problems: Sequence[Problem],
    run_dir: Path,
    *,
    on_result: ResultCallback | None = None,
    on_start: Callable[[int, int], None] | None = None,
    backend: LeanBackend | None = None,
) -> EvalOutcome:
    """Prove ``problems`` into ``run_dir``; ``on_start(total, already_done)`` then ``on_result`` per problem."""
    names = [p.name for p in problems]
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise InputError(f"problem {duplicate} appears twice in {options.source}")
    finished = prepare_run_dir(
        run_dir, manifest_for(settings, options, problems), resume=options.resume, force=options.force
    )
    todo = [p for p in problems if p.name not in finished]
    if on_start is not None:
        on_start(len(problems), len(problems) - len(todo))
    results = ResultsLog(run_dir)
    ran: list[ResultLine] = []

    def record(line: ResultLine) -> None:
        results.append(line)  # durable before anyone is told
        ran.append(line)
        if on_result is not None:
            on_result(line)

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    workers = settings.eval.workers
    if settings.eval.ray is not None:
        from prover.eval.ray_backend import run_on_ray

        stats = run_on_ray(settings, todo, use_llm=options.use_llm, on_result=record)
        backend_name = "ray"
    else:
        stats = asyncio.run(_run_local(settings, todo, options.use_llm, record, backend))
        backend_name = "local"
    session = SessionLine(
        started=started_at,
        backend=backend_name,
        workers=workers,
        problems_run=len(ran),
        cache_hits=stats.hits,
        cache_misses=stats.misses,
        cache_shared=stats.shared,
        cache_bypassed=stats.bypassed,
        wall_s=time.perf_counter() - started,
    )
    append_session(run_dir, session)
    return EvalOutcome(
        run_dir=run_dir,
        total=len(problems),
        skipped=len(problems) - len(todo),
        ran=tuple(ran),
        session=session,
    )


class SerialSmt:
    """An SMT engine shared by concurrent searches: one ``decide_statement`` at a time (each search calls it
    from its own thread, and the engine must not be used by two threads at once)."""

    def __init__(self, engine: SmtDecider) -> None:
        self._engine = engine
        self._lock = threading.Lock()

    def decide_statement(self, statement: str) -> SmtResult:
        with self._lock:
            return self._engine.decide_statement(statement)


async def _run_local(
    settings: Settings,
    problems: Sequence[Problem],
    use_llm: bool,
    record: ResultCallback,
    backend: LeanBackend | None,
) -> CacheStats:
    """``eval.workers`` problems at a time over one backend; each result is recorded as it finishes."""
    from prover.lean.factory import open_backend
    from prover.search.session import open_session

    if not problems:
        return CacheStats()
    lean: LeanBackend = backend if backend is not None else open_backend(settings.lean)
    cache = open_verdict_cache(settings)
    wrapped = CachedBackend(lean, cache) if cache is not None else None
    slots = asyncio.Semaphore(settings.eval.workers)
    try:
        async with open_session(
            settings, use_llm=use_llm, backend=wrapped if wrapped is not None else lean
        ) as session:
            if session.smt is not None:
                session.smt = SerialSmt(session.smt)  # one engine, many concurrent problems

            async def one(problem: Problem) -> None:
                async with slots:
                    line = await prove_problem(session, problem)
                record(line)

            tasks = [asyncio.ensure_future(one(problem)) for problem in problems]
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
    finally:
        if cache is not None:
            cache.close()
    return wrapped.stats if wrapped is not None else CacheStats()
