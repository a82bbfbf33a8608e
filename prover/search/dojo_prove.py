"""``prover dojo prove``: step search on a theorem of a LeanDojo-traced repository, then certification.

1. A LeanDojo session on the theorem (``DojoBackend.start``: it refuses a repository that is not traced).
2. Best-first search over LeanDojo's tactic states, as ``StepSearch`` does over REPL states: the candidates
   of a state are the step model's tactics (untrusted: through ``candidate.tactic``; scored by their
   log-probabilities) and the configured closing tactics (``search.cascade_tactics``, scanned too; a fixed
   prior); states are deduplicated by their goals; ``search.step_max_expansions`` and
   ``search.step_max_depth`` cap it. A tactic timeout or crash ends LeanDojo's session, and the search.
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

from prover.errors import BudgetExhausted, LeanSourceError
from prover.lean.backend import LeanBackend
from prover.lean.dojo import DojoBackend, DojoTheorem
from prover.lean.guard import scan_forbidden
from prover.lean.text import parse_file
from prover.llm.base import ProofModel
from prover.llm.prompts import load_prompt
from prover.search import candidate
from prover.search.certification import CertificationResult, certify_text
from prover.search.strategies.step import DEPTH_PENALTY, PROMPT, SYMBOLIC_PRIOR, rebuild_proof
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
    model: ProofModel | None = None,
) -> DojoProveResult:
    """Search ``theorem`` through ``dojo``; certify a found proof with ``open_checker(checkout)``.

    ``model`` (the ``step`` role) proposes tactics for each state, scored by their log-probabilities and
    scanned as untrusted text; the closing tactics follow with a fixed prior."""
    root = await dojo.start(theorem)
    if root.status is not StepStatus.open or root.state is None:
        return DojoProveResult(name=theorem.full_name, status="not_proved", reason="no initial proof state")
    fixed = _tactics(settings)
    proposer = _Proposer(settings, model)
    order = itertools.count()
    # (score, order, state, goals, tactics so far); lower score first
    frontier: list[tuple[float, int, StateRef, tuple[str, ...], tuple[str, ...]]] = [
        (0.0, next(order), root.state, root.goals, ())
    ]
    seen = {root.goals}
    expansions = 0
    rejected = 0
    while frontier and expansions < settings.search.step_max_expansions:
        score, _, state, goals, sequence = heapq.heappop(frontier)
        expansions += 1
        for tactic, logprob in await proposer.candidates(goals, fixed):
            step = await dojo.run_tactic(state, tactic)
            tried = (*sequence, tactic)
            match step.status:
                case StepStatus.proved:
                    outcome = await _certify(settings, theorem, tried, dojo, open_checker, expansions)
                    if outcome.status == "proved":
                        return outcome
                    rejected += 1
                case StepStatus.open if step.state is not None:
                    if step.goals in seen or len(tried) >= settings.search.step_max_depth:
                        continue
                    seen.add(step.goals)
                    priority = score - logprob + DEPTH_PENALTY
                    heapq.heappush(frontier, (priority, next(order), step.state, step.goals, tried))
                case (
                    StepStatus.timeout | StepStatus.crash
                ):  # LeanDojo closed the session: its states are gone
                    reason = f"the LeanDojo session ended ({step.status.value} on {tactic!r}) after {expansions} expansions"
                    return DojoProveResult(
                        name=theorem.full_name, status="not_proved", reason=reason, expansions=expansions
                    )
    reason = f"no certified proof after {expansions} expansions ({len(seen)} states)"
    if rejected:
        reason += f"; {rejected} tactic proof(s) LeanDojo accepted failed certification"
    return DojoProveResult(name=theorem.full_name, status="not_proved", reason=reason, expansions=expansions)


class _Proposer:
    """Tactic candidates for a state: the step model's (scanned, best log-prob first), then the fixed ones."""

    def __init__(self, settings: Settings, model: ProofModel | None) -> None:
        self._settings = settings
        self._model = model

    async def candidates(self, goals: tuple[str, ...], fixed: list[str]) -> list[tuple[str, float]]:
        scored: dict[str, float] = {}
        if self._model is not None:
            request = load_prompt(PROMPT).request(
                endpoint=self._settings.llm.step.endpoint, goal="\n\n".join(goals), premises=""
            )
            try:
                response = await self._model.generate(request)
            except BudgetExhausted as exhausted:
                log.info("step model budget spent (%s): closing tactics only from now on", exhausted)
                self._model = None
            else:
                for choice in response.choices:
                    match candidate.tactic(
                        choice.text, allow_native_decide=self._settings.lean.allow_native_decide
                    ):
                        case candidate.Candidate(proof=tactic):
                            logprob = choice.logprob if choice.logprob is not None else 0.0
                            scored[tactic] = max(scored.get(tactic, logprob), logprob)
                        case candidate.Rejected(reason=reason):
                            log.info("step model tactic refused: %s", reason)
        for tactic in fixed:
            scored.setdefault(tactic, SYMBOLIC_PRIOR)
        return sorted(scored.items(), key=lambda item: -item[1])


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
