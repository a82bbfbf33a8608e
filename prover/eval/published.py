"""``prover eval DATASET --proofs FILE.jsonl``: put published proofs through the soundness gate, no search.

Per proof: the forbidden-construct scan over the whole file (``sorry``, ``native_decide`` unless allowed, new
axioms, ``#eval``, ...), the statement guard against the dataset's statement of the same problem, and, with a
Lean backend, the fresh whole-file check plus ``#print axioms`` (``prover.lean.certify``). Without Lean only the
static part runs, and the report says that Lean checked nothing: "certified" then means "certified statically".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from prover.data.proofs import PublishedProof
from prover.errors import LeanSourceError
from prover.lean.backend import LeanBackend
from prover.lean.certify import certify
from prover.lean.guard import guard_file
from prover.lean.text import parse_file
from prover.types import Frozen, Problem

log = logging.getLogger(__name__)


class CertificationRow(Frozen):
    name: str
    certified: bool
    reasons: tuple[str, ...] = ()
    line: int = 0  # row of the proof in its file


class PublishedReport(Frozen):
    source: str
    statements: str  # the dataset file the statements came from
    lean_checked: bool
    rows: tuple[CertificationRow, ...]

    @property
    def certified(self) -> int:
        return sum(row.certified for row in self.rows)

    @property
    def rejected(self) -> int:
        return len(self.rows) - self.certified

    def reason_counts(self) -> dict[str, int]:
        """How many proofs each kind of reason rejected (the text before the first colon)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            for kind in sorted({reason.split(":", 1)[0] for reason in row.reasons}):
                counts[kind] = counts.get(kind, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))


def static_reasons(proof: PublishedProof, problem: Problem | None, *, allow_native_decide: bool) -> list[str]:
    """Why ``proof`` fails the static gate (empty: it passes): scan, then statement guard."""
    if problem is None:
        return ["statement guard: the dataset has no problem of this name"]
    try:
        report = guard_file(proof.proof, [problem], allow_native_decide=allow_native_decide)
    except LeanSourceError as error:
        return [f"unreadable: {error.message}"]
    reasons = [f"forbidden: {f.message} (line {f.pos.line})" for f in report.findings]
    reasons += [f"statement guard: {check.reason}" for check in report.statements if not check.ok]
    return reasons


def theorem_names(problem: Problem) -> list[str]:
    parsed = parse_file(problem.header + problem.formal_statement)
    return [d.full_name for d in parsed.theorems if d.kind != "example"]


async def _lean_reasons(
    backend: LeanBackend, proof: PublishedProof, problem: Problem, timeout_s: float
) -> list[str]:
    names = theorem_names(problem)
    text = proof.proof
    certification = await certify(backend, text, names, timeout=timeout_s)
    return [f"lean: {problem}" for problem in certification.problems]


def certify_published(
    proofs: Sequence[PublishedProof],
    problems: Sequence[Problem],
    *,
    source: str,
    statements: str,
    allow_native_decide: bool = False,
    backend: LeanBackend | None = None,
    timeout_s: float = 60.0,
) -> PublishedReport:
    """One row per proof. With ``backend``, proofs that pass the static gate are certified by Lean."""
    by_name = {problem.name: problem for problem in problems}
    rows: list[CertificationRow] = []
    for proof in proofs:
        problem = by_name.get(proof.name)
        reasons = static_reasons(proof, problem, allow_native_decide=allow_native_decide)
        rows.append(
            CertificationRow(name=proof.name, certified=not reasons, reasons=tuple(reasons), line=proof.line)
        )
    if backend is not None:
        rows = asyncio.run(_with_lean(backend, rows, proofs, by_name, timeout_s))
    return PublishedReport(
        source=source, statements=statements, lean_checked=backend is not None, rows=tuple(rows)
    )


async def _with_lean(
    backend: LeanBackend,
    rows: list[CertificationRow],
    proofs: Sequence[PublishedProof],
    by_name: dict[str, Problem],
    timeout_s: float,
) -> list[CertificationRow]:
    async def one(row: CertificationRow, proof: PublishedProof) -> CertificationRow:
        if not row.certified:
            return row  # never send what the static gate rejected
        reasons = await _lean_reasons(backend, proof, by_name[proof.name], timeout_s)
        return row.model_copy(update={"certified": not reasons, "reasons": tuple(reasons)})

    try:
        return list(await asyncio.gather(*(one(row, proof) for row, proof in zip(rows, proofs, strict=True))))
    finally:
        await backend.close()
