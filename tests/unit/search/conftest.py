"""In-test fakes of the seams the search uses: a Lean backend ruled by regexes and a scripted proof model."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from prover.lean.backend import CAP_COMMAND, CAP_SORRY_STATES, CAP_TACTICS
from prover.llm.base import Choice, LLMRequest, LLMResponse, Usage
from prover.settings import Settings
from prover.types import (
    CheckResult,
    Message,
    Pos,
    Severity,
    SmtResult,
    SmtStatus,
    SorryGoal,
    StateRef,
    StepResult,
    StepStatus,
    Verdict,
)


@dataclass
class FakeLean:
    """Command mode: the first regex that matches the code decides the verdict (default: lean_error).

    Tactic mode: ``tactics`` maps a tactic regex to the goals left (``[]`` closes the goal). A check of text
    containing ``sorry`` returns one sorry with a fresh state. Every request is logged.
    """

    rules: list[tuple[str, Verdict]] = field(default_factory=list)
    tactics: list[tuple[str, list[str] | None]] = field(default_factory=list)
    latency_s: float = 0.0
    log: list[str] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    _states: int = 0

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_COMMAND, CAP_TACTICS, CAP_SORRY_STATES})

    async def _enter(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(self.latency_s)

    async def check(self, code: str, *, timeout: float | None = None) -> CheckResult:
        self.log.append(code)
        await self._enter()
        self.in_flight -= 1
        for pattern, verdict in self.rules:
            if re.search(pattern, code):
                return CheckResult(verdict=verdict, messages=_messages(verdict))
        if "sorry" in code:
            self._states += 1
            state = StateRef(backend="fake", worker=0, generation=0, proof_state=self._states)
            goal = SorryGoal(goal="⊢ goal0", pos=Pos(line=1, column=0), state=state)
            warning = Message(
                severity=Severity.warning, pos=Pos(line=1, column=0), text="declaration uses 'sorry'"
            )
            return CheckResult(verdict=Verdict.sorry, messages=(warning,), sorries=(goal,))
        return CheckResult(verdict=Verdict.lean_error, messages=_messages(Verdict.lean_error))

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return [await self.check(code, timeout=timeout) for code in codes]

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        self.log.append(f"TACTIC {state.proof_state}: {tactic}")
        await self._enter()
        self.in_flight -= 1
        for pattern, goals in self.tactics:
            if re.search(pattern, tactic):
                if goals is None:
                    return StepResult(status=StepStatus.error)
                self._states += 1
                new = StateRef(backend="fake", worker=0, generation=0, proof_state=self._states)
                status = StepStatus.proved if not goals else StepStatus.open
                return StepResult(status=status, goals=tuple(goals), state=new)
        return StepResult(status=StepStatus.error)

    async def close(self) -> None:
        return None


def _messages(verdict: Verdict) -> tuple[Message, ...]:
    if verdict is Verdict.lean_error:
        return (Message(severity=Severity.error, pos=Pos(line=1, column=0), text="tactic failed"),)
    return ()


@dataclass
class FakeModel:
    """Answers every request with the next scripted list of choices (the last one repeats)."""

    answers: list[list[str]]
    role_name: str = "prover"
    requests: list[LLMRequest] = field(default_factory=list)
    tokens_per_call: int = 10

    @property
    def role(self) -> str:
        return self.role_name

    @property
    def model_name(self) -> str:
        return "fake"

    async def generate(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        texts = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return LLMResponse(
            role=self.role_name,
            model="fake",
            choices=tuple(Choice(text=t, index=i, logprob=-float(i)) for i, t in enumerate(texts)),
            usage=Usage(prompt_tokens=self.tokens_per_call, completion_tokens=0),
            cache_keys=tuple(f"key{len(self.requests)}-{i}" for i in range(len(texts))),
        )

    async def close(self) -> None:
        return None


@dataclass
class FakeSmt:
    """Refutes statements matching ``refute``; gives ``hints`` for the others."""

    refute: str = r"$^"
    hints: tuple[str, ...] = ()
    calls: list[str] = field(default_factory=list)

    def decide_statement(self, statement: str) -> SmtResult:
        self.calls.append(statement)
        if re.search(self.refute, statement):
            return SmtResult(status=SmtStatus.refuted, model={"x": "0"})
        if self.hints:
            return SmtResult(status=SmtStatus.valid, hints=self.hints)
        return SmtResult(status=SmtStatus.unknown)


@pytest.fixture
def settings() -> Settings:
    return Settings(search={"cascade_tactics": ["norm_num", "linarith", "omega"]}, lean={"workers": 2})
