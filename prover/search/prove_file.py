"""Prove the ``sorry`` theorems of one Lean file: search, assemble, certify, and produce the new file text.

Each theorem becomes the root goal of its own tree, in the context of the file before it (imports, opens,
namespaces and finished declarations; earlier theorems that still contain ``sorry`` are left out, since they
would make every check report ``sorry``). A theorem is ``proved`` only when its assembled text passes
certification (see ``prover.search.certification``); otherwise the file keeps its ``sorry``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from decompose.strategy import Decompose
from prover.errors import InputError, LeanSourceError
from prover.lean.backend import LeanBackend
from prover.lean.text import Declaration, LeanFile, parse_file
from prover.llm.base import ProofModel, Role
from prover.search.assemble import AssembledProof, assemble
from prover.search.budget import Limits, SearchBudget
from prover.search.certification import certify_text
from prover.search.events import EventKind, ProgressCallback, SearchEvent, ignore_progress
from prover.search.lemma_cache import LemmaCache
from prover.search.scheduler import Scheduler, SearchReport, Services
from prover.search.strategies.base import LeanPool, SmtDecider, Strategy
from prover.search.strategies.direct import DirectProof
from prover.search.strategies.step import StepSearch
from prover.search.strategies.symbolic import SymbolicCascade
from prover.search.trace import Trace, nodes_of
from prover.search.tree import NodeStatus
from prover.settings import Settings
from prover.types import Frozen, Goal, Pos, ProofResult, ProofStatus
from repair.strategy import Repair
from retrieval.base import Retriever

log = logging.getLogger(__name__)


class TheoremReport(Frozen):
    result: ProofResult
    trace: Trace
    pos: Pos  # where the theorem's keyword is in the input (1-based line, 0-based column)


class FileReport(Frozen):
    source: str
    original: str
    text: str  # the new file text (the original where nothing was proved)
    theorems: tuple[TheoremReport, ...]

    @property
    def all_proved(self) -> bool:
        return all(t.result.status is ProofStatus.proved for t in self.theorems)

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class ProveSession:
    """What proving needs, built once per run by the caller (who also closes it)."""

    settings: Settings
    backend: LeanBackend
    models: Mapping[Role, ProofModel | None]
    smt: SmtDecider | None = None
    retriever: Retriever | None = None
    lemma_cache: LemmaCache | None = None
    strategies: Sequence[Strategy] | None = None
    on_event: ProgressCallback = ignore_progress


def default_strategies(*, use_llm: bool) -> list[Strategy]:
    """Symbolic cascade, step search and repair always; direct proving only with an LLM.

    Repair runs only where an earlier stage left a proof Lean rejected (without an LLM it still normalises,
    fixes names, swaps automation tactics and splits the kept steps into subgoals).
    """
    strategies: list[Strategy] = [SymbolicCascade(), StepSearch(), Repair()]
    if use_llm:
        strategies.append(DirectProof())
        strategies.append(Decompose())  # applicable only with a reasoner model, below decompose.max_depth
    return strategies


def select_theorems(lean_file: LeanFile, names: Sequence[str], source: str) -> list[Declaration]:
    """The named theorems (each must exist), or every theorem with a ``sorry``."""
    if names:
        chosen: list[Declaration] = []
        for name in names:
            found = lean_file.find(name)
            if found is None or not found.is_theorem:
                raise LeanSourceError(f"no theorem named {name}{_theorems_note(lean_file)}", path=source)
            if found.proof_span is None:
                raise LeanSourceError(
                    f"theorem {name} has no proof to replace", path=source, line=found.span.start.line
                )
            chosen.append(found)
        return chosen
    chosen = [d for d in lean_file.theorems if d.has_sorry and d.proof_span is not None]
    if not lean_file.theorems:
        raise InputError("no theorems found", where=source)
    if not chosen:
        raise InputError(
            "no theorem with a sorry to prove (to prove one again, name it with --theorem)", where=source
        )
    return chosen


def _theorems_note(lean_file: LeanFile, shown: int = 10) -> str:
    """``; the file has: a, b, c`` (the first ``shown`` theorem names), or that it has none."""
    names = [d.name for d in lean_file.theorems]
    if not names:
        return "; the file has no theorems"
    more = f", … ({len(names) - shown} more)" if len(names) > shown else ""
    return "; the file has: " + ", ".join(names[:shown]) + more


def context_before(lean_file: LeanFile, declaration: Declaration) -> str:
    """The file text before ``declaration``, without earlier declarations that contain ``sorry``."""
    text = lean_file.text
    end = declaration.span.start_offset
    context = text[:end]
    for earlier in sorted(lean_file.declarations, key=lambda d: -d.span.start_offset):
        if earlier.span.end_offset <= end and earlier.has_sorry:
            context = context[: earlier.span.start_offset] + context[earlier.span.end_offset :]
    return context.rstrip() + "\n"


def goal_of(lean_file: LeanFile, declaration: Declaration) -> Goal:
    return Goal(
        name=declaration.name,
        statement=declaration.signature.rstrip(),
        header=context_before(lean_file, declaration),
    )


def standalone_text(goal: Goal, assembled: AssembledProof) -> str:
    """What certification checks for one theorem: its context, the lemmas, the theorem with its proof."""
    return goal.header.rstrip() + "\n\n" + assembled.declarations(goal.statement)


def splice(text: str, declaration: Declaration, assembled: AssembledProof) -> str:
    """``text`` with the declaration's proof replaced and the lemmas inserted before the declaration."""
    assert declaration.proof_span is not None
    proof_span = declaration.proof_span
    new = text[: proof_span.start_offset] + assembled.proof.strip() + text[proof_span.end_offset :]
    if assembled.lemmas:
        start = declaration.span.start_offset
        new = new[:start] + "\n\n".join(assembled.lemmas) + "\n\n" + new[start:]
    return new


async def prove_text(
    session: ProveSession,
    text: str,
    *,
    names: Sequence[str] = (),
    source: str = "<input>",
    informal_proofs: Mapping[str, str] | None = None,
) -> FileReport:
    """Prove the selected theorems of ``text``; returns the new text and one report (with trace) each.

    ``informal_proofs`` (theorem name → a dataset's informal proof) travel on the root goal, where
    decomposition drafts from them instead of asking the reasoner (``decompose.use_dataset_informal_proof``).
    """
    lean_file = parse_file(text)
    declarations = select_theorems(lean_file, names, source)
    settings = session.settings
    pool = LeanPool(backend=session.backend, workers=settings.lean.workers, timeout_s=settings.lean.timeout_s)
    services = Services(
        settings=settings,
        lean=pool,
        models=session.models,
        smt=session.smt if settings.smt.enabled else None,
        retriever=session.retriever,
        lemma_cache=session.lemma_cache if settings.search.lemma_cache else None,
    )
    use_llm = any(model is not None for model in session.models.values())
    strategies = (
        list(session.strategies) if session.strategies is not None else default_strategies(use_llm=use_llm)
    )
    reports: list[TheoremReport] = []
    proved: list[tuple[Declaration, AssembledProof]] = []
    for declaration in declarations:
        informal = (informal_proofs or {}).get(declaration.name)
        report, assembled = await _prove_one(session, services, strategies, lean_file, declaration, informal)
        reports.append(report)
        if assembled is not None:
            proved.append((declaration, assembled))
    new_text = text
    for declaration, assembled in sorted(proved, key=lambda item: -item[0].span.start_offset):
        new_text = splice(new_text, declaration, assembled)
    return FileReport(source=source, original=text, text=new_text, theorems=tuple(reports))


async def _prove_one(
    session: ProveSession,
    services: Services,
    strategies: Sequence[Strategy],
    lean_file: LeanFile,
    declaration: Declaration,
    informal_proof: str | None = None,
) -> tuple[TheoremReport, AssembledProof | None]:
    settings = session.settings
    file_names = tuple(sorted({n for d in lean_file.declarations for n in (d.name, d.full_name) if n}))
    goal = goal_of(lean_file, declaration).model_copy(
        update={"informal_proof": informal_proof, "reserved_names": file_names}
    )
    started = time.perf_counter()
    session.on_event(SearchEvent(kind=EventKind.theorem_started, theorem=goal.name))
    budget = SearchBudget(Limits.from_settings(settings.search), name=f"theorem {goal.name}")
    scheduler = Scheduler(strategies, services, budget, on_event=session.on_event, theorem=goal.name)
    search = await scheduler.run(goal)
    assembled: AssembledProof | None = None
    problems: tuple[str, ...] = ()
    final_proof: str | None = None
    certification_checks = 0
    status, reason = _search_status(search)
    if search.status is NodeStatus.proved:
        candidate = assemble(search.tree, search.root)
        generated = candidate.declarations(goal.statement)
        final_proof = standalone_text(goal, candidate)
        certification = await certify_text(
            session.backend,
            original=lean_file.text,
            context=goal.header,
            generated=generated,
            name=declaration.full_name,
            allow_native_decide=settings.lean.allow_native_decide,
            timeout_s=settings.lean.timeout_s,
        )
        certification_checks = certification.lean_checks
        if certification.ok:
            assembled, status, reason = candidate, ProofStatus.proved, "certified"
        else:
            problems = certification.problems
            status, reason = (
                ProofStatus.not_proved,
                "found a proof that failed certification: " + "; ".join(problems),
            )
            log.warning("%s: %s", goal.name, reason)
            if services.lemma_cache is not None and search.tree.proved_via(search.root) is None:
                services.lemma_cache.forget(goal.key)
    spent = budget.spent()
    if certification_checks:  # certification's fresh check counts like any other Lean check
        spent = spent.model_copy(update={"lean_checks": spent.lean_checks + certification_checks})
    elapsed = time.perf_counter() - started
    result = ProofResult(
        name=goal.name,
        status=status,
        proof=assembled.proof if assembled is not None else None,
        reason=reason,
        elapsed_s=elapsed,
        llm_calls=spent.llm_calls,
        tokens=spent.tokens,
        cost_usd=spent.cost_usd,
        lean_checks=spent.lean_checks,
    )
    nodes, edges = nodes_of(search.tree)
    trace = Trace(
        theorem=goal.name,
        status=status,
        reason=reason,
        lean_profile=settings.lean.profile,
        root=search.root,
        stopped=search.stopped,
        elapsed_s=elapsed,
        spent=spent,
        final_proof=final_proof,
        certification=problems,
        nodes=nodes,
        edges=edges,
    )
    session.on_event(
        SearchEvent(kind=EventKind.theorem_finished, theorem=goal.name, detail=status.value, spent=spent)
    )
    return TheoremReport(result=result, trace=trace, pos=declaration.keyword_span.start), assembled


def _search_status(search: SearchReport) -> tuple[ProofStatus, str]:
    match search.status:
        case NodeStatus.proved:
            return ProofStatus.not_proved, "not certified yet"
        case NodeStatus.refuted:
            reason = search.tree.reason(search.root)
            return ProofStatus.refuted, reason or "refuted"
        case NodeStatus.failed | NodeStatus.pruned:
            return ProofStatus.not_proved, search.tree.reason(search.root) or "every strategy failed"
        case NodeStatus.open:
            return ProofStatus.not_proved, search.stopped or "search stopped"
