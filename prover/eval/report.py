"""The numbers of a run (``summary.json``) and the comparison of two runs, computed from the run directory.

Pure functions of the results log, the manifest, the sessions and the audit; rendering is in
``prover.eval.views`` (Markdown, rich) and ``prover.eval.plots`` (PNG).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from pydantic import Field, ValidationError

from prover.errors import InputError
from prover.eval.categories import CATEGORIES
from prover.eval.results import (
    RESULTS,
    ResultLine,
    read_manifest,
    read_results,
    read_sessions,
)
from prover.smt.audit import AuditRow
from prover.types import Frozen, ProofStatus, SmtStatus

AUDIT_FILE = "audit.json"
SUMMARY_FILE = "summary.json"
FLAGGED = frozenset({SmtStatus.refuted, SmtStatus.vacuous})


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default); (0, 0) for no trials."""
    if trials == 0:
        return 0.0, 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class Rate(Frozen):
    proved: int
    total: int
    rate: float
    low: float  # Wilson 95%
    high: float

    @classmethod
    def of(cls, proved: int, total: int) -> Rate:
        low, high = wilson_interval(proved, total)
        return cls(proved=proved, total=total, rate=proved / total if total else 0.0, low=low, high=high)


class Budget(Frozen):
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    lean_checks: int = 0
    problem_wall_s: float = 0.0  # summed over problems
    run_wall_s: float = 0.0  # summed over sessions (what the runs took)


class CacheCounts(Frozen):
    hits: int = 0
    misses: int = 0
    shared: int = 0
    bypassed: int = 0

    @property
    def hit_rate(self) -> float:
        lookups = self.hits + self.misses + self.shared
        return (self.hits + self.shared) / lookups if lookups else 0.0


class Flagged(Frozen):
    name: str
    status: SmtStatus
    evidence: str = ""
    proved: bool = False  # proved although flagged: the audit and Lean disagree, look at it


class CurvePoint(Frozen):
    budget: float
    rate: float


class Summary(Frozen):
    dataset: str
    source: str
    planned: int  # problems the run was asked for
    finished: int
    overall: Rate  # over every finished problem
    sound_statements: Rate  # over finished problems the audit did not flag
    statuses: dict[str, int]
    by_category: dict[str, Rate]
    by_strategy: dict[str, int]
    budget: Budget
    cache: CacheCounts
    failure_kinds: dict[str, int]
    flagged: tuple[Flagged, ...] = ()
    audited: bool = False
    llm_curve: tuple[CurvePoint, ...] = Field(default=())
    wall_curve: tuple[CurvePoint, ...] = Field(default=())


def read_audit(run_dir: Path) -> list[AuditRow] | None:
    path = run_dir / AUDIT_FILE
    return read_audit_file(path) if path.is_file() else None


def read_audit_file(path: Path) -> list[AuditRow]:
    """The rows of a ``prover audit --format json`` file; InputError when it cannot be read as one."""
    try:
        import json

        return [AuditRow.model_validate(row) for row in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, ValidationError) as error:
        raise InputError(f"not a `prover audit --format json` file: {error}", where=str(path)) from error


def pass_curve(lines: list[ResultLine], key: str, total: int) -> tuple[CurvePoint, ...]:
    """Fraction of ``total`` proved within each budget value (``key``: llm_calls or elapsed_s)."""
    spent = sorted(float(getattr(line, key)) for line in lines if line.proved)
    points = [CurvePoint(budget=0.0, rate=0.0)]
    for index, value in enumerate(spent, start=1):
        if points and points[-1].budget == value:
            points[-1] = CurvePoint(budget=value, rate=index / total)
        else:
            points.append(CurvePoint(budget=value, rate=index / total))
    return tuple(points)


def summarize(run_dir: Path) -> Summary:
    """The summary of a run directory; InputError when it is not one."""
    manifest = read_manifest(run_dir)
    if manifest is None:
        raise InputError("not a prover eval run directory (no run.json)", where=str(run_dir))
    lines = read_results(run_dir / RESULTS)
    audit = read_audit(run_dir)
    flagged_rows = {row.name: row for row in audit or () if row.status in FLAGGED}
    proved = [line for line in lines if line.proved]
    sound = [line for line in lines if line.name not in flagged_rows]
    by_category = {
        category: Rate.of(
            sum(1 for line in lines if line.category == category and line.proved),
            sum(1 for line in lines if line.category == category),
        )
        for category in CATEGORIES
        if any(line.category == category for line in lines)
    }
    kinds: Counter[str] = Counter()
    for line in lines:
        kinds.update(line.failure_kinds)
    sessions = read_sessions(run_dir)
    by_name = {line.name: line for line in lines}
    return Summary(
        dataset=manifest.dataset,
        source=manifest.source,
        planned=len(manifest.problems),
        finished=len(lines),
        overall=Rate.of(len(proved), len(lines)),
        sound_statements=Rate.of(sum(1 for line in sound if line.proved), len(sound)),
        statuses=dict(Counter(line.status.value for line in lines)),
        by_category=by_category,
        by_strategy=dict(Counter(line.strategy or "?" for line in proved).most_common()),
        budget=Budget(
            llm_calls=sum(line.llm_calls for line in lines),
            tokens=sum(line.tokens for line in lines),
            cost_usd=sum(line.cost_usd for line in lines),
            lean_checks=sum(line.lean_checks for line in lines),
            problem_wall_s=sum(line.elapsed_s for line in lines),
            run_wall_s=sum(s.wall_s for s in sessions),
        ),
        cache=CacheCounts(
            hits=sum(s.cache_hits for s in sessions),
            misses=sum(s.cache_misses for s in sessions),
            shared=sum(s.cache_shared for s in sessions),
            bypassed=sum(s.cache_bypassed for s in sessions),
        ),
        failure_kinds=dict(kinds.most_common()),
        flagged=tuple(
            Flagged(
                name=name,
                status=row.status,
                evidence=row.evidence,
                proved=name in by_name and by_name[name].proved,
            )
            for name, row in flagged_rows.items()
            if name in by_name
        ),
        audited=audit is not None,
        llm_curve=pass_curve(lines, "llm_calls", len(lines)),
        wall_curve=pass_curve(lines, "elapsed_s", len(lines)),
    )


# ------------------------------------------------------------------------------------------- compare
class ProblemPair(Frozen):
    name: str
    a: ProofStatus | None  # None: not in that run
    b: ProofStatus | None


class Comparison(Frozen):
    a: str
    b: str
    rate_a: Rate
    rate_b: Rate
    both: int
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    neither: int
    missing: tuple[ProblemPair, ...]  # finished in one run only


def compare(run_a: Path, run_b: Path) -> Comparison:
    """Problem by problem: proved by both, by one only, by neither; problems only one run finished."""
    lines_a = {line.name: line for line in read_results(run_a / RESULTS)}
    lines_b = {line.name: line for line in read_results(run_b / RESULTS)}
    for run_dir in (run_a, run_b):
        if read_manifest(run_dir) is None:
            raise InputError("not a prover eval run directory (no run.json)", where=str(run_dir))
    common = sorted(lines_a.keys() & lines_b.keys())
    return Comparison(
        a=str(run_a),
        b=str(run_b),
        rate_a=Rate.of(sum(lines_a[n].proved for n in common), len(common)),
        rate_b=Rate.of(sum(lines_b[n].proved for n in common), len(common)),
        both=sum(1 for n in common if lines_a[n].proved and lines_b[n].proved),
        only_a=tuple(n for n in common if lines_a[n].proved and not lines_b[n].proved),
        only_b=tuple(n for n in common if lines_b[n].proved and not lines_a[n].proved),
        neither=sum(1 for n in common if not lines_a[n].proved and not lines_b[n].proved),
        missing=tuple(
            ProblemPair(
                name=n,
                a=lines_a[n].status if n in lines_a else None,
                b=lines_b[n].status if n in lines_b else None,
            )
            for n in sorted(lines_a.keys() ^ lines_b.keys())
        ),
    )
