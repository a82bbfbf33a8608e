"""``OpenAICompatible``: any OpenAI-compatible endpoint (OpenAI, DeepSeek, Gemini, Qwen, vLLM, SGLang) via the SDK.

The SDK's own retries are off (``max_retries=0``): this client retries 408/409/429/5xx, timeouts, dropped
connections and malformed bodies itself with the role's ``max_retries``, backoff with jitter and the server's
``Retry-After``. Every attempt runs under the endpoint's concurrency limit and a total per-request timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import openai

from prover.errors import ConfigError, EndpointUnavailable, ModelError
from prover.llm.base import Choice, LLMRequest, LLMResponse, Role, Usage
from prover.llm.endpoints import EndpointLimits
from prover.llm.guard import check_endpoint_allowed, is_loopback_url
from prover.llm.retry import RetryPolicy
from prover.settings import RoleSettings

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
LOOPBACK_PLACEHOLDER_KEY = "EMPTY"  # local vLLM/SGLang servers accept any key
_RETRYABLE_STATUS = frozenset({408, 409, 429})

Sleep = Callable[[float], Awaitable[None]]


class _Transient(Exception):
    """One failed attempt that may succeed when retried."""

    def __init__(
        self, reason: str, *, headers: Mapping[str, str] | None = None, unreachable: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.headers = headers
        self.unreachable = unreachable


def resolve_api_key(role: Role | str, cfg: RoleSettings, base_url: str) -> str:
    """The key from the environment variable the role names; loopback servers may go without one."""
    if cfg.api_key_env:
        key = os.environ.get(cfg.api_key_env)
        if key:
            return key
        if not is_loopback_url(base_url):
            raise ConfigError(
                f"llm.{role}.api_key_env names {cfg.api_key_env}, but that environment variable is not set "
                f"(needed for {base_url})"
            )
    elif not is_loopback_url(base_url):
        raise ConfigError(
            f"llm.{role}.api_key_env is not set: name the environment variable that holds the key for {base_url}"
        )
    return LOOPBACK_PLACEHOLDER_KEY


class OpenAICompatible:
    """A ``ProofModel`` over one OpenAI-compatible endpoint, chat or plain completions."""

    def __init__(
        self,
        role: Role | str,
        cfg: RoleSettings,
        *,
        limits: EndpointLimits | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        if not cfg.model:
            raise ConfigError(f"llm.{role}.model is empty: name the model the endpoint serves")
        self._role = str(role)
        self._cfg = cfg
        self.base_url = (cfg.base_url or OPENAI_BASE_URL).rstrip("/")
        check_endpoint_allowed(self.base_url)
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=resolve_api_key(role, cfg, self.base_url),
            max_retries=0,
            timeout=cfg.timeout_s,
        )
        self._semaphore = (limits or EndpointLimits()).semaphore(self.base_url, cfg.concurrency)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._wants_logprobs = self._role == Role.step

    @property
    def role(self) -> str:
        return self._role

    @property
    def model_name(self) -> str:
        return self._cfg.model

    async def close(self) -> None:
        await self._client.close()

    def request_parameters(self, request: LLMRequest) -> dict[str, Any]:
        """Everything sent besides the prompt, after the role's defaults fill the request's gaps."""
        cfg = self._cfg
        parameters: dict[str, Any] = {
            "endpoint": cfg.endpoint,
            "temperature": cfg.temperature if request.temperature is None else request.temperature,
            "top_p": cfg.top_p if request.top_p is None else request.top_p,
            "max_tokens": cfg.max_tokens if request.max_tokens is None else request.max_tokens,
            "stop": list(cfg.stop if request.stop is None else request.stop),
            "extra_body": self._extra_body(),
        }
        return parameters

    def _extra_body(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self._wants_logprobs:
            extra["logprobs"] = True if self._cfg.endpoint == "chat" else 1
        extra.update(self._cfg.extra_body)  # the user's settings win
        return extra

    async def generate(self, request: LLMRequest) -> LLMResponse:
        n = request.n or self._cfg.n
        parameters = self.request_parameters(request)
        started = time.perf_counter()
        raw = await self._with_retries(lambda: self._call(request, n, parameters))
        latency = time.perf_counter() - started
        choices = self._choices(raw)
        usage = _usage(raw)
        truncated = sum(c.truncated for c in choices)
        if truncated:
            log.warning(
                "%s/%s: %d of %d choices truncated (finish_reason=length)",
                self._role,
                self.model_name,
                truncated,
                len(choices),
            )
        return LLMResponse(
            role=self._role, model=self.model_name, choices=choices, usage=usage, latency_s=latency
        )

    async def _call(self, request: LLMRequest, n: int, parameters: dict[str, Any]) -> Any:
        extra_body = parameters["extra_body"]
        common: dict[str, Any] = {
            "model": self.model_name,
            "n": n,
            "temperature": parameters["temperature"],
            "top_p": parameters["top_p"],
            "max_tokens": parameters["max_tokens"],
        }
        if parameters["stop"]:
            common["stop"] = parameters["stop"]
        match self._cfg.endpoint:
            case "chat":
                if not request.messages:
                    raise ModelError(f"{self._role}: a chat endpoint needs messages, the request has none")
                messages = [{"role": m.role, "content": m.content} for m in request.messages]
                if "logprobs" in extra_body:
                    common["logprobs"] = bool(extra_body["logprobs"])
                    extra_body = {k: v for k, v in extra_body.items() if k != "logprobs"}
                return await self._client.chat.completions.create(
                    messages=messages,  # type: ignore[arg-type]
                    extra_body=extra_body or None,
                    **common,
                )
            case "completions":
                prompt = request.prompt
                if prompt is None:
                    raise ModelError(
                        f"{self._role}: a completions endpoint needs a prompt, the request has none"
                    )
                if "logprobs" in extra_body:
                    common["logprobs"] = int(extra_body["logprobs"])
                    extra_body = {k: v for k, v in extra_body.items() if k != "logprobs"}
                return await self._client.completions.create(
                    prompt=prompt, extra_body=extra_body or None, **common
                )

    async def _with_retries(self, attempt: Callable[[], Awaitable[Any]]) -> Any:
        attempts = self._cfg.max_retries + 1
        reasons: list[str] = []
        unreachable = True
        for number in range(attempts):
            try:
                async with self._semaphore:
                    raw = await asyncio.wait_for(self._classified(attempt), timeout=self._cfg.timeout_s)
                return raw
            except TimeoutError:
                failure = _Transient(f"no answer within {self._cfg.timeout_s:g} s")
            except _Transient as transient:
                failure = transient
            reasons.append(failure.reason)
            unreachable = unreachable and failure.unreachable
            if number + 1 < attempts:
                delay = self._retry.delay_s(number, self._rng, failure.headers)
                log.info(
                    "%s/%s attempt %d/%d failed (%s); retrying in %.2f s",
                    self._role,
                    self.model_name,
                    number + 1,
                    attempts,
                    failure.reason,
                    delay,
                )
                await self._sleep(delay)
        summary = f"{self._role} model {self.model_name} at {self.base_url} failed {attempts} attempt(s); last: {reasons[-1]}"
        if unreachable:
            raise EndpointUnavailable(summary)
        raise ModelError(summary)

    async def _classified(self, attempt: Callable[[], Awaitable[Any]]) -> Any:
        """Run one attempt; turn every retryable failure into ``_Transient`` and every final one into ModelError."""
        try:
            raw = await attempt()
        except openai.APITimeoutError as exc:
            raise _Transient(f"timed out after {self._cfg.timeout_s:g} s") from exc
        except openai.APIConnectionError as exc:
            # Only a refused or failed connect (nothing was sent) counts as the endpoint being unreachable.
            cause = exc.__cause__
            refused = cause is not None and type(cause).__name__ == "ConnectError"
            detail = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
            raise _Transient(f"connection failed ({detail})", unreachable=refused) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            headers = dict(exc.response.headers)
            message = _status_message(exc)
            if status in _RETRYABLE_STATUS or status >= 500:
                raise _Transient(f"HTTP {status}: {message}", headers=headers) from exc
            hint = ""
            if status in (401, 403):
                hint = (
                    f" (check the key in ${self._cfg.api_key_env})"
                    if self._cfg.api_key_env
                    else " (no API key set)"
                )
            raise ModelError(
                f"{self._role} model {self.model_name} at {self.base_url}: HTTP {status}: {message}{hint}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise _Transient(f"malformed JSON in the response ({exc.msg} at char {exc.pos})") from exc
        choices = getattr(raw, "choices", None)
        if not isinstance(choices, list) or not choices:
            shown = raw[:80] if isinstance(raw, str) else type(raw).__name__
            raise _Transient(f"malformed response: no choices ({shown!r})")
        return raw

    def _choices(self, raw: Any) -> tuple[Choice, ...]:
        choices = []
        for position, item in enumerate(raw.choices):
            match self._cfg.endpoint:
                case "chat":
                    message = getattr(item, "message", None)
                    text = (getattr(message, "content", None) or "") if message is not None else ""
                case "completions":
                    text = getattr(item, "text", None) or ""
            finish = getattr(item, "finish_reason", None)
            index = getattr(item, "index", None)
            choices.append(
                Choice(
                    text=text,
                    finish_reason=finish,
                    truncated=finish == "length",
                    logprob=_summed_logprob(getattr(item, "logprobs", None)),
                    index=index if isinstance(index, int) else position,
                )
            )
        return tuple(sorted(choices, key=lambda c: c.index))


def _status_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:200]
    return str(exc.message)[:200]


def _usage(raw: Any) -> Usage:
    usage = getattr(raw, "usage", None)
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def _summed_logprob(logprobs: Any) -> float | None:
    """Sum of token log-probabilities from a chat (``content[].logprob``) or completion (``token_logprobs``) choice."""
    if logprobs is None:
        return None
    content = getattr(logprobs, "content", None)
    if isinstance(content, list):
        values = [getattr(token, "logprob", None) for token in content]
    else:
        token_logprobs = getattr(logprobs, "token_logprobs", None)
        values = list(token_logprobs) if isinstance(token_logprobs, list) else []
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return sum(numbers) if numbers else None
