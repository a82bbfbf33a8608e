"""``MeteredModel``: every call of a role goes through here for the cache, the budget and the accounting.

Order of one ``generate``: look up each sample in the cache; if all are there, answer from the cache (no
request, no charge). Otherwise check the budget, ask the backend for the missing samples only, store them,
then account and charge (charging may raise ``BudgetExhausted``; the answer is already cached by then).
"""

from __future__ import annotations

import logging
from typing import Protocol

from prover.llm.base import Choice, LLMRequest, LLMResponse, ProofModel, Usage
from prover.llm.budget import Accounting, Budget, cost_usd
from prover.llm.cache import ResponseCache, request_fingerprint, sample_key
from prover.settings import RoleSettings

log = logging.getLogger(__name__)


class ParameterisedModel(ProofModel, Protocol):
    def request_parameters(self, request: LLMRequest) -> dict[str, object]:
        """Every setting that changes the answer, besides the prompt (part of the cache key)."""
        ...


class MeteredModel:
    """Wraps a backend model; itself a ``ProofModel``."""

    def __init__(
        self,
        inner: ParameterisedModel,
        cfg: RoleSettings,
        *,
        cache: ResponseCache | None,
        budget: Budget | None,
        accounting: Accounting | None,
    ) -> None:
        self.inner = inner
        self._cfg = cfg
        self._cache = cache
        self._budget = budget
        self._accounting = accounting

    @property
    def role(self) -> str:
        return self.inner.role

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    async def close(self) -> None:
        await self.inner.close()

    def _fingerprint(self, request: LLMRequest) -> str:
        parameters = self.inner.request_parameters(request)
        return request_fingerprint(
            self.model_name,
            {
                "messages": [(m.role, m.content) for m in request.messages],
                "prompt": request.prompt,
                **parameters,
            },
        )

    async def generate(self, request: LLMRequest) -> LLMResponse:
        n = request.n or self._cfg.n
        fingerprint = self._fingerprint(request) if self._cache is not None else ""
        keys = [sample_key(fingerprint, i) for i in range(n)]
        found = self._cache.get_many(keys) if self._cache is not None else {}
        missing = [key for key in keys if key not in found]
        if not missing:
            return self._finish(keys, found, fresh=None)

        if self._budget is not None:
            self._budget.before_call()
        fresh = await self.inner.generate(request.model_copy(update={"n": len(missing)}))
        produced = dict(zip(missing, fresh.choices, strict=False))
        if len(fresh.choices) < len(missing):
            log.warning(
                "%s/%s returned %d of %d requested choices",
                self.role,
                self.model_name,
                len(fresh.choices),
                len(missing),
            )
        if self._cache is not None:
            self._cache.put_many(self.model_name, produced)
        return self._finish(keys, {**found, **produced}, fresh=fresh)

    def _finish(
        self, keys: list[str], choices: dict[str, Choice], *, fresh: LLMResponse | None
    ) -> LLMResponse:
        ordered = tuple(
            choices[key].model_copy(update={"index": i}) for i, key in enumerate(keys) if key in choices
        )
        usage = fresh.usage if fresh is not None else Usage()
        latency = fresh.latency_s if fresh is not None else 0.0
        cost = cost_usd(
            usage.prompt_tokens,
            usage.completion_tokens,
            prompt_per_mtok=self._cfg.price_prompt_per_mtok,
            completion_per_mtok=self._cfg.price_completion_per_mtok,
        )
        response = LLMResponse(
            role=self.role,
            model=self.model_name,
            choices=ordered,
            usage=usage,
            latency_s=latency,
            cost_usd=cost,
            cached=fresh is None,
            cache_keys=tuple(keys) if self._cache is not None else (),
        )
        if self._accounting is not None:
            self._accounting.record(
                role=self.role,
                model=self.model_name,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                latency_s=latency,
                cost_usd=cost,
                cached=fresh is None,
            )
        if fresh is not None and self._budget is not None:
            self._budget.charge(calls=1, tokens=usage.total_tokens, cost_usd=cost)
        return response
