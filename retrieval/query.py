"""Turning what the prover has in hand into retrieval queries: a goal, a statement, an error message."""

from __future__ import annotations

import re

from prover.types import PremiseHit
from retrieval.base import Retriever
from retrieval.names import names_in_error

_DECL_HEAD = re.compile(r"^\s*(?:theorem|lemma|example)\s+(?:[^\s(\[{:]+)?", re.MULTILINE)
_PROOF_START = re.compile(r":=\s*(?:by\b.*)?$", re.DOTALL)
_COMMENT = re.compile(r"/-.*?-/|--[^\n]*", re.DOTALL)
_HYPOTHESIS = re.compile(r"^\s*(?P<names>[^:⊢]+?)\s*:\s*(?P<type>.+)$")


def query_from_statement(statement: str) -> str:
    """A formal statement without keyword, theorem name, comments and proof: binders and type remain."""
    text = _COMMENT.sub(" ", statement)
    text = _DECL_HEAD.sub(" ", text, count=1)
    text = _PROOF_START.sub(" ", text)
    return " ".join(text.split())


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
