"""The shared vocabulary: frozen values passed between every module of prover.

Positions follow the Lean REPL everywhere inside the library: 1-based lines, 0-based columns counted in
characters (code points). Only output for people and editors converts columns to 1-based.

Layer-specific values live next to their layer (for example ``prover.smt.result`` or
``prover.lean.text``); what more than one layer passes around lives here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Base of every shared value: immutable, hashable where its fields are, no extra fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------- Lean
class Pos(Frozen):
    """A position in Lean text: 1-based ``line``, 0-based ``column`` in characters (the REPL's convention)."""

    line: int
    column: int

    def __lt__(self, other: Pos) -> bool:
        return (self.line, self.column) < (other.line, other.column)

    def __le__(self, other: Pos) -> bool:
        return (self.line, self.column) <= (other.line, other.column)


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    error = "error"


class Message(Frozen):
    """One Lean message. ``end_pos`` is absent when Lean gave none."""

    severity: Severity
    pos: Pos
    end_pos: Pos | None = None
    text: str


class StateRef(Frozen):
    """Opaque handle to a proof state inside one backend process.

    Valid only while the process identified by ``worker`` and ``generation`` lives; a backend raises
    ``StaleStateError`` when it is used after that process restarted.
    """

    backend: str
    worker: int
    generation: int
    proof_state: int


class SorryGoal(Frozen):
    """A ``sorry`` hole Lean reported, with the goal it stands for."""

    goal: str
    pos: Pos
    end_pos: Pos | None = None
    state: StateRef | None = None


class Verdict(StrEnum):
    """The one verdict of a Lean check. Only ``valid`` means the text was accepted."""

    valid = "valid"
    sorry = "sorry"
    lean_error = "lean_error"
    timeout = "timeout"
    crash = "crash"
    backend_error = "backend_error"


class CheckResult(Frozen):
    """What a backend learned from checking one piece of Lean text in command mode."""

    verdict: Verdict
    messages: tuple[Message, ...] = ()
    sorries: tuple[SorryGoal, ...] = ()
    env: int | None = None
    elapsed_s: float = 0.0
    raw: dict[str, Any] | None = Field(default=None, repr=False)

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity is Severity.error)


class StepStatus(StrEnum):
    """Outcome of one tactic in tactic mode. ``proved`` is never final: recheck in command mode."""

    proved = "proved"  # no goals left
    open = "open"  # goals remain
    error = "error"  # the tactic failed
    timeout = "timeout"
    crash = "crash"


class StepResult(Frozen):
    status: StepStatus
    goals: tuple[str, ...] = ()
    state: StateRef | None = None
    messages: tuple[Message, ...] = ()
    elapsed_s: float = 0.0
    raw: dict[str, Any] | None = Field(default=None, repr=False)


# ------------------------------------------------------------------------------------------ problems
class Problem(Frozen):
    """A theorem to prove: a formal statement (ending in ``:= by`` or with ``sorry``) and its context."""

    name: str
    formal_statement: str
    header: str = ""
    informal_statement: str | None = None
    informal_proof: str | None = None
    source: str = ""
    split: str | None = None


class Goal(Frozen):
    """A goal of the search tree: a standalone Lean lemma (``theorem NAME binders : type``) in a header.

    ``statement`` is the declaration text without its proof (no ``:=``); ``key`` identifies equal goals.
    """

    name: str
    statement: str
    header: str = ""
    depth: int = 0
    goal_text: str | None = None  # the goal as Lean printed it, when it came from a proof state
    # None is part of ``key``: an informal proof shipped with the problem (used by decomposition instead of
    # drafting one), the keys of the goals this one was split from (a subgoal equal to one is no progress), and
    # the names declared anywhere in the goal's file (helper lemmas must not clash with a later declaration).
    informal_proof: str | None = None
    ancestors: tuple[str, ...] = ()
    reserved_names: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        import hashlib

        normalized = " ".join(self.statement.replace(self.name, "_", 1).split())
        return hashlib.sha256(f"{self.header}\n{normalized}".encode()).hexdigest()[:16]


class Attempt(Frozen):
    """One candidate proof of a goal by one strategy, and what Lean said of it."""

    goal_key: str
    strategy: str
    proof: str
    verdict: Verdict | None = None
    messages: tuple[Message, ...] = ()
    elapsed_s: float = 0.0
    cost_usd: float = 0.0
    note: str = ""


class ProofStatus(StrEnum):
    proved = "proved"
    not_proved = "not_proved"
    refuted = "refuted"
    error = "error"


class ProofResult(Frozen):
    """The end of one problem. ``status == proved`` only after certification (see ``prover.lean.verdict``)."""

    name: str
    status: ProofStatus
    proof: str | None = None
    reason: str = ""
    elapsed_s: float = 0.0
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    lean_checks: int = 0


# ------------------------------------------------------------------------------------------ premises
class Premise(Frozen):
    """A usable declaration of the Lean environment (a lemma a proof may cite)."""

    name: str
    signature: str = ""
    doc: str = ""
    module: str = ""
    attrs: tuple[str, ...] = ()
    private: bool = False
    deprecated: bool = False
    simp: bool = False


class PremiseHit(Frozen):
    premise: Premise
    score: float


# --------------------------------------------------------------------------------------------- SMT
class SmtStatus(StrEnum):
    """What the Z3 engine concluded about a goal. Z3 never certifies: only Lean does."""

    valid = "valid"  # negation unsatisfiable within the limit
    refuted = "refuted"  # counterexample confirmed by exact evaluation
    vacuous = "vacuous"  # hypotheses alone unsatisfiable
    unknown = "unknown"
    unsupported = "unsupported"


class SmtResult(Frozen):
    status: SmtStatus
    model: dict[str, str] | None = None  # variable -> value (Lean syntax) for refuted
    reason: str = ""  # unsupported construct, inconsistent hypotheses, ...
    hints: tuple[str, ...] = ()  # closing tactics in order of likely success (for valid)
    elapsed_s: float = 0.0
