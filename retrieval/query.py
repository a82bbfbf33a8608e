"""Turning what the prover has in hand into retrieval queries: a goal, a statement, an error message."""

from __future__ import annotations

import re
from enum import StrEnum

from prover.types import PremiseHit
from retrieval.base import Retriever
from retrieval.names import names_in_error

_DECL_HEAD = re.compile(r"^\s*(?:theorem|lemma|example)\s+(?:[^\s(\[{:]+)?", re.MULTILINE)
_PROOF_START = re.compile(r":=\s*(?:by\b.*)?$", re.DOTALL)
_COMMENT = re.compile(r"/-.*?-/|--[^\n]*", re.DOTALL)
_HYPOTHESIS = re.compile(r"^\s*(?P<names>[^:⊢]+?)\s*:\s*(?P<type>.+)$")
_MERGE_RRF_K = 60
_PLAIN_WORD = re.compile(r"^[A-Za-z][a-z]+(?:'s)?[,.;:?!]?$")
_FORMAL_MARK = re.compile(r"[≤≥<>=≠∣∑∏√→↔∀∃⊢ℝℕℤℚℂ^*/+:()\[\]{}|%∈∉⊆∩∪¬∧∨⁻¹•∘‖⌊⌈]|_|\w\.\w|:=")
_LATEX_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\[.*?\\\]|\\\(.*?\\\)", re.DOTALL)
_LEAN_HEAD = re.compile(r"^\s*(?:theorem|lemma|example)\b|⊢|:=")


class QueryKind(StrEnum):
    """What a query is; the hybrid retriever weights its rankings by it (``retrieval.fusion``)."""

    formal = "formal"  # a Lean statement, goal or expression (or a bare declaration name)
    error = "error"  # a Lean error naming an unknown identifier or constant
    informal = "informal"  # English (or mostly English) text


def classify_query(text: str) -> QueryKind:
    """``error`` when Lean says a name is unknown; ``informal`` when plain words outnumber Lean tokens.

    LaTeX math (``$…$``, ``\\[…\\]``, ``\\(…\\)``) is informal mathematics: it is set aside before counting.
    """
    if names_in_error(text):
        return QueryKind.error
    if _LEAN_HEAD.search(text):
        return QueryKind.formal
    tokens = _LATEX_MATH.sub(" ", text).split()
    plain = sum(1 for token in tokens if _PLAIN_WORD.match(token))
    formal = sum(1 for token in tokens if _FORMAL_MARK.search(token))
    return QueryKind.informal if plain >= 2 and plain >= formal else QueryKind.formal


def query_from_statement(statement: str) -> str:
    """A formal statement without keyword, theorem name, comments and proof, its conclusion first.

    ``theorem t (x : ℝ) (h : 0 < x) : 0 < x ^ 2 := by`` gives ``0 < x ^ 2 : (x : ℝ) (h : 0 < x)``. The
    conclusion says which lemma is wanted, and a query longer than the encoder reads
    (``retrieval.encoder.QUERY_MAX_TOKENS``) keeps its beginning; ``query_from_goal`` puts the target first
    for the same reason.
    """
    binders, conclusion = _split_conclusion(statement_text(statement))
    return f"{conclusion} : {binders}" if binders else conclusion


def statement_text(statement: str) -> str:
    """A formal statement without keyword, theorem name, comments and proof, in the order written."""
    text = _COMMENT.sub(" ", statement)
    text = _DECL_HEAD.sub(" ", text, count=1)
    return " ".join(_PROOF_START.sub(" ", text).split())


_OPENING = "([{⟨⦃"
_CLOSING = ")]}⟩⦄"


def _split_conclusion(text: str) -> tuple[str, str]:
    """``(binders, conclusion)`` of a statement's text, split at its first colon outside brackets (``:=``
    aside); ``("", text)`` when there is none."""
    depth = 0
    for i, char in enumerate(text):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(0, depth - 1)
        elif char == ":" and depth == 0 and not text.startswith(":=", i):
            return text[:i].strip(), text[i + 1 :].strip()
    return "", text


def query_from_goal(goal: str) -> str:
    """A pretty-printed goal (``h : T`` lines, then ``⊢ target``) as the types of hypotheses and target.

    Hypothesis names carry no meaning for retrieval; the target is repeated so it outweighs the context.
    """
    hypotheses: list[str] = []
    targets: list[str] = []
    for line in goal.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("case "):
            continue
        if stripped.startswith("⊢"):
            targets.append(stripped.removeprefix("⊢").strip())
        elif (match := _HYPOTHESIS.match(stripped)) is not None:
            hypotheses.append(match.group("type"))
        elif targets:
            targets[-1] += " " + stripped  # a target wrapped over several lines
        elif hypotheses:
            hypotheses[-1] += " " + stripped
    return " ".join([*targets, *hypotheses, *targets])


def premises_for_error(retriever: Retriever, message: str, k: int = 5) -> list[PremiseHit]:
    """For ``unknown identifier 'X'`` / ``unknown constant 'X'``: the real names nearest to each X."""
    hits: list[PremiseHit] = []
    seen: set[str] = set()
    for name in names_in_error(message):
        for hit in retriever.lookup_name(name, k):
            if hit.premise.name not in seen:
                seen.add(hit.premise.name)
                hits.append(hit)
    return hits


_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)]|query\s*\d*\s*[:.)-])\s*", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```")
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def parse_search_queries(answer: str, limit: int) -> list[str]:
    """The search queries of a reasoner's answer: one per line, list marks and quotes removed.

    Blank lines, code fences and a reasoning block (``<think>…</think>``) are skipped; equal queries (up to
    case and spacing) count once; at most ``limit`` are kept, in the order written.
    """
    queries: list[str] = []
    seen: set[str] = set()
    for line in _THINKING.sub("\n", answer).splitlines():
        if _FENCE.match(line):
            continue
        text = line
        for _ in range(2):  # "- Query 2: ..." carries two marks
            text = _LIST_MARK.sub("", text, count=1)
        text = text.strip().strip("\"'`“”").strip()
        key = " ".join(text.lower().split())
        if len(key) < 3 or key in seen:
            continue
        seen.add(key)
        queries.append(" ".join(text.split()))
        if len(queries) >= limit:
            break
    return queries


def merge_hits(runs: list[list[PremiseHit]], k: int) -> list[PremiseHit]:
    """The results of several queries as one list of at most ``k`` distinct premises (by name).

    A premise found by several queries outranks one found by a single query; among equals, the better
    (smaller) best rank wins, then the earlier query. The score is the fused reciprocal-rank score.
    """
    fused: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}
    hits: dict[str, PremiseHit] = {}
    for query_index, run in enumerate(runs):
        seen_here: set[str] = set()
        for rank, hit in enumerate(run, start=1):
            name = hit.premise.name
            if name in seen_here:
                continue
            seen_here.add(name)
            fused[name] = fused.get(name, 0.0) + 1.0 / (_MERGE_RRF_K + rank)
            position = (rank, query_index)
            if name not in best or position < best[name]:
                best[name] = position
                hits.setdefault(name, hit)
    order = sorted(fused, key=lambda name: (-fused[name], best[name]))
    return [
        PremiseHit(premise=hits[name].premise, score=round(fused[name], 6)) for name in order[: max(k, 0)]
    ]
