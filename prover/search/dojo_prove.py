"""``prover dojo prove``: step search on a theorem of a LeanDojo-traced repository, then certification.

1. A LeanDojo session on the theorem (``DojoBackend.start``: it refuses a repository that is not traced).
2. Best-first search over LeanDojo's tactic states: the candidates of a state are the configured closing
   tactics (``search.cascade_tactics``), each passed through the forbidden-construct scan first; states
   are deduplicated by their goals; ``search.step_max_expansions`` and ``search.step_max_depth`` cap it.
3. LeanDojo finishing a tactic sequence is a candidate, never a result: the sequence is rebuilt into proof
   text, spliced into the theorem in the traced checkout's copy of the file, and certified there (scan,
   statement guard, fresh whole-file check + ``#print axioms``) by a command-mode backend run in that
   checkout. Only a certified proof is ``proved``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from prover.errors import LeanSourceError
from prover.lean.backend import LeanBackend
from prover.lean.dojo import DojoBackend, DojoTheorem
from prover.lean.guard import scan_forbidden
from prover.lean.text import parse_file
from prover.search.certification import CertificationResult, certify_text
from prover.search.strategies.step import rebuild_proof
from prover.settings import Settings
from prover.types import Frozen, StateRef, StepStatus

log = logging.getLogger(__name__)


class DojoProveResult(Frozen):
    name: str
    status: Literal["proved", "not_proved"]
    reason: str
    proof: str | None = None  # the certified proof text (after `:=`), when proved
    expansions: int = 0
    certification: CertificationResult | None = None
    checkout: Path | None = None


async def dojo_prove(
    settings: Settings,
    theorem: DojoTheorem,
    *,
    dojo: DojoBackend,
    open_checker: Callable[[Path], LeanBackend],
) -> DojoProveResult:
    """Search ``theorem`` through ``dojo``; certify a found proof with ``open_checker(checkout)``."""
    root = await dojo.start(theorem)
    if root.status is not StepStatus.open or root.state is None:
        return DojoProveResult(name=theorem.full_name, status="not_proved", reason="no initial proof state")
    tactics = _tactics(settings)
    order = itertools.count()
    frontier: list[tuple[int, int, StateRef, tuple[str, ...]]] = [(0, next(order), root.state, ())]
    seen = {root.goals}
    expansions = 0
    rejected: list[tuple[str, ...]] = []
    while frontier and expansions < settings.search.step_max_expansions:
        _, _, state, sequence = heapq.heappop(frontier)
        expansions += 1
        for tactic in tactics:
            step = await dojo.run_tactic(state, tactic)
            tried = (*sequence, tactic)
            if step.status is StepStatus.proved:
                outcome = await _certify(settings, theorem, tried, dojo, open_checker, expansions)
                if outcome.status == "proved":
                    return outcome
                rejected.append(tried)
            elif step.status is StepStatus.open and step.state is not None:
                if step.goals in seen or len(tried) >= settings.search.step_max_depth:
                    continue
                seen.add(step.goals)
                heapq.heappush(frontier, (len(tried), next(order), step.state, tried))
            elif step.status in (StepStatus.timeout, StepStatus.crash):
                break  # the session is closed: its states are gone
    reason = f"no certified proof after {expansions} expansions ({len(seen)} states)"
    if rejected:
        reason += f"; {len(rejected)} tactic proof(s) LeanDojo accepted failed certification"
    return DojoProveResult(name=theorem.full_name, status="not_proved", reason=reason, expansions=expansions)


def _tactics(settings: Settings) -> list[str]:
    """The configured closing tactics that pass the forbidden-construct scan."""
    kept = []
    for tactic in settings.search.cascade_tactics:
        findings = scan_forbidden(
            tactic, allow_sorry=False, allow_native_decide=settings.lean.allow_native_decide
        )
        if findings:
            log.warning("search.cascade_tactics entry %r refused: %s", tactic, findings[0].message)
        else:
            kept.append(tactic.strip())
    return kept


async def _certify(
    settings: Settings,
    theorem: DojoTheorem,
    tactics: tuple[str, ...],
    dojo: DojoBackend,
    open_checker: Callable[[Path], LeanBackend],
    expansions: int,
) -> DojoProveResult:
    checkout = await dojo.checkout(theorem.repo_url, theorem.commit)
    path = checkout / theorem.file_path
    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LeanSourceError(f"cannot read the traced file: {exc}", path=path) from exc
    declaration = parse_file(original).find(theorem.full_name)
    if declaration is None or declaration.proof_span is None:
        raise LeanSourceError(f"no theorem {theorem.full_name} with a proof in the traced file", path=path)
    proof = rebuild_proof(tactics)
    generated = original[declaration.span.start_offset : declaration.proof_span.start_offset] + proof
    checker = open_checker(checkout)
    try:
        certification = await certify_text(
            checker,
            original=original,
            context=original[: declaration.span.start_offset],
            generated=generated,
            name=theorem.full_name,
            allow_native_decide=settings.lean.allow_native_decide,
            timeout_s=settings.lean.timeout_s,
        )
    finally:
        await checker.close()
    if not certification.ok:
        log.info("LeanDojo accepted %r but certification refused: %s", tactics, certification.problems)
        return DojoProveResult(
            name=theorem.full_name,
            status="not_proved",
            reason="certification: " + "; ".join(certification.problems),
            expansions=expansions,
            certification=certification,
            checkout=checkout,
        )
    return DojoProveResult(
        name=theorem.full_name,
        status="proved",
        reason=f"certified in command mode in {checkout}",
        proof=proof,
        expansions=expansions,
        certification=certification,
        checkout=checkout,
    )
