"""Progress events: how the search tells a display what happens, without printing anything itself."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from prover.search.budget import Spent
from prover.types import Frozen


class EventKind(StrEnum):
    goal_added = "goal_added"
    goal_settled = "goal_settled"
    attempt = "attempt"
    budget_exhausted = "budget_exhausted"
    theorem_started = "theorem_started"
    theorem_finished = "theorem_finished"


class SearchEvent(Frozen):
    kind: EventKind
    theorem: str = ""
    node: str = ""
    detail: str = ""
    goals_open: int = 0
    goals_proved: int = 0
    spent: Spent = Spent()


ProgressCallback = Callable[[SearchEvent], None]


def ignore_progress(event: SearchEvent) -> None:
    """The default callback: nobody is watching."""
    del event
