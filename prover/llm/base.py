"""The seam between prover and language models: one async protocol per role.

``build_model(role_settings, ...)`` (in ``prover.llm.factory``) returns a ``ProofModel`` or ``None`` when the
role's provider is ``none`` (strategies that need that role are then skipped).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, runtime_checkable

from prover.types import Frozen


class Role(StrEnum):
    reasoner = "reasoner"
    prover = "prover"
    step = "step"


class ChatMessage(Frozen):
    role: str  # "system" | "user" | "assistant"
    content: str


class LLMRequest(Frozen):
    """One request. Chat endpoints use ``messages``; completion endpoints use ``prompt``.

    ``None`` sampling fields fall back to the role's settings.
    """

    messages: tuple[ChatMessage, ...] = ()
    prompt: str | None = None
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] | None = None


class Choice(Frozen):
    text: str
    finish_reason: str | None = None
    truncated: bool = False  # finish_reason == "length": do not use silently
    logprob: float | None = None  # sum of token log-probabilities, when the backend reports them
    index: int = 0


class Usage(Frozen):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class LLMResponse(Frozen):
    role: str
    model: str
    choices: tuple[Choice, ...]
    usage: Usage = Usage()
    latency_s: float = 0.0
    cost_usd: float = 0.0
    cached: bool = False
    cache_keys: tuple[str, ...] = ()  # ids of the cached entries (for traces)


@runtime_checkable
class ProofModel(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def model_name(self) -> str: ...

    async def generate(self, request: LLMRequest) -> LLMResponse: ...

    async def close(self) -> None: ...
