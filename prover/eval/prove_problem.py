"""One dataset problem through the same orchestrator as ``prover prove``: a one-theorem Lean file with the
dataset's header → search → certification → one ``ResultLine``. Used by the local pool and by Ray tasks."""

from __future__ import annotations

import logging

from prover.errors import DependencyError, ProverError
from prover.eval.categories import category_of
from prover.eval.results import ResultLine
from prover.lean.failure_kinds import FailureKind, count_verdict_failures, merge_counts
from prover.lean.text import parse_file
from prover.search.prove_file import ProveSession, TheoremReport, prove_text
from prover.search.trace import Trace
from prover.search.tree import NodeKind, NodeStatus
from prover.types import Problem, ProofStatus

log = logging.getLogger(__name__)


def problem_file(problem: Problem) -> str:
    """The Lean file of one problem: its header, then its statement proved by ``sorry``."""
    statement = problem.formal_statement.rstrip()
    if statement.endswith("sorry"):
        body = statement
    elif statement.endswith(":= by"):
        body = statement + "\n  sorry"
    elif statement.endswith(":="):
        body = statement + " by\n  sorry"
    else:
        body = statement + " := by\n  sorry"
    header = problem.header.rstrip()
    return (header + "\n\n" if header else "") + body + "\n"


def informal_proofs(problem: Problem, text: str) -> dict[str, str]:
    """The dataset's informal proof (DSP+ carries one) for the theorem of ``text``, for decomposition's draft."""
    if not problem.informal_proof:
        return {}
    return {d.name: problem.informal_proof for d in parse_file(text).declarations if d.name}


def winning_strategy(trace: Trace) -> str | None:
    """The strategy of the attempt or decomposition that proved the root goal."""
    for child in trace.children(trace.root):
        node = trace.node(child)
        if node.status is not NodeStatus.proved:
            continue
        if node.kind is NodeKind.decomposition and node.decomposition is not None:
            return node.decomposition.strategy
        if node.kind is NodeKind.attempt and node.attempt is not None:
            return node.attempt.attempt.strategy
    return "lemma cache" if trace.node(trace.root).status is NodeStatus.proved else None


def proof_depth(trace: Trace) -> int:
    """The deepest proved goal of the tree (0 when the root was proved by one attempt)."""
    depths = [n.depth for n in trace.nodes if n.kind is NodeKind.goal and n.status is NodeStatus.proved]
    return max(depths, default=0)


def failure_kinds(trace: Trace) -> dict[str, int]:
    """Lean's rejections of every attempt of the tree, by kind."""
    counts: list[dict[FailureKind, int]] = [
        count_verdict_failures(node.attempt.attempt.verdict, node.attempt.attempt.messages)
        for node in trace.nodes
        if node.attempt is not None
    ]
    return {kind.value: count for kind, count in merge_counts(*counts).items()}


def result_line(problem: Problem, theorems: tuple[TheoremReport, ...], worker: str) -> ResultLine:
    """Fold the reports of a problem's theorem(s) into its line (proved only when every one is)."""
    main = next((t for t in theorems if t.result.status is not ProofStatus.proved), theorems[0])
    proved = all(t.result.status is ProofStatus.proved for t in theorems)
    kinds: dict[str, int] = {}
    for report in theorems:
        for kind, count in failure_kinds(report.trace).items():
            kinds[kind] = kinds.get(kind, 0) + count
    return ResultLine(
        name=problem.name,
        category=category_of(problem.name),
        status=ProofStatus.proved if proved else main.result.status,
        reason=main.result.reason,
        proof="\n\n".join(t.trace.final_proof or "" for t in theorems) if proved else None,
        strategy=winning_strategy(main.trace) if proved else None,
        depth=max(proof_depth(t.trace) for t in theorems) if proved else 0,
        elapsed_s=sum(t.result.elapsed_s for t in theorems),
        llm_calls=sum(t.result.llm_calls for t in theorems),
        tokens=sum(t.result.tokens for t in theorems),
        cost_usd=sum(t.result.cost_usd for t in theorems),
        lean_checks=sum(t.result.lean_checks for t in theorems),
        failure_kinds=kinds,
        worker=worker,
    )


async def prove_problem(session: ProveSession, problem: Problem, *, worker: str = "local") -> ResultLine:
    """Prove one problem. A missing dependency (Lean, an endpoint) stops the run; other machinery failures
    become an ``error`` line for this problem."""
    try:
        text = problem_file(problem)
        report = await prove_text(
            session, text, source=problem.name, informal_proofs=informal_proofs(problem, text)
        )
    except DependencyError:
        raise
    except ProverError as error:
        log.warning("%s: %s", problem.name, error)
        return ResultLine(
            name=problem.name,
            category=category_of(problem.name),
            status=ProofStatus.error,
            reason=str(error),
            worker=worker,
        )
    return result_line(problem, report.theorems, worker)
