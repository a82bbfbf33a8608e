"""The real openai SDK, through prover's client, against the fake OpenAI HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.errors import BudgetExhausted, ConfigError, EndpointUnavailable, ModelError
from prover.llm.base import ChatMessage, LLMRequest, ProofModel, Role
from prover.llm.budget import Accounting, Budget
from prover.llm.cache import ResponseCache
from prover.llm.endpoints import EndpointLimits
from prover.llm.factory import build_model
from prover.llm.guard import LOOPBACK_ONLY_ENV
from prover.llm.openai_compat import OpenAICompatible
from prover.llm.prompts import load_prompt
from prover.llm.retry import RetryPolicy
from prover.settings import RoleSettings
from tests.fakes.openai_server import FakeOpenAI, Fault

FAST = RetryPolicy(base_delay_s=0.001, max_delay_s=0.01, max_retry_after_s=0.05)
RETRYABLE = [Fault.rate_limit, Fault.server_error, Fault.slow, Fault.malformed_json, Fault.drop_mid_body]
REASON = {
    Fault.rate_limit: "HTTP 429",
    Fault.server_error: "HTTP 500",
    Fault.slow: "no answer within|timed out",
    Fault.malformed_json: "malformed JSON",
    Fault.drop_mid_body: "connection failed",
}


@pytest.fixture(autouse=True)
def _loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("llm") is None:
        monkeypatch.setenv(LOOPBACK_ONLY_ENV, "1")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="fake-model") as server:
        yield server


class RecordedSleep:
    """Stands in for asyncio.sleep: remembers the delays asked for, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def role_cfg(fake: FakeOpenAI, **changes: object) -> RoleSettings:
    values: dict[str, object] = {
        "provider": "openai",
        "base_url": fake.base_url,
        "model": "fake-model",
        # Long enough that a healthy answer never times out on a loaded machine; `slow` faults outlast it.
        "timeout_s": 1.0,
        "max_retries": 2,
        "temperature": 0.0,
    }
    values.update(changes)
    return RoleSettings.model_validate(values)


def chat(text: str, **changes: object) -> LLMRequest:
    return LLMRequest(messages=(ChatMessage(role="user", content=text),), **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- faults
@pytest.mark.parametrize("fault", RETRYABLE)
async def test_a_transient_fault_is_retried_then_succeeds(fake: FakeOpenAI, fault: Fault) -> None:
    fake.script("lemma", "by norm_num")
    fake.fault(fault, delay_s=4.0)
    sleep = RecordedSleep()
    model = OpenAICompatible(Role.prover, role_cfg(fake), retry=FAST, sleep=sleep)
    response = await model.generate(chat("prove the lemma"))
    await model.close()
    assert [c.text for c in response.choices] == ["by norm_num"]
    assert fake.request_count == 2
    assert [r.fault for r in fake.requests] == [fault, None]
    assert len(sleep.delays) == 1


@pytest.mark.parametrize("fault", RETRYABLE)
async def test_a_persistent_fault_becomes_a_model_error_after_the_configured_attempts(
    fake: FakeOpenAI, fault: Fault
) -> None:
    fake.fault(fault, times=3, delay_s=4.0)
    model = OpenAICompatible(Role.prover, role_cfg(fake, max_retries=2), retry=FAST, sleep=RecordedSleep())
    with pytest.raises(ModelError, match=REASON[fault]) as caught:
        await model.generate(chat("anything"))
    await model.close()
    assert "failed 3 attempt(s)" in str(caught.value)
    assert "fake-model" in str(caught.value)
    assert fake.request_count == 3


async def test_rate_limit_waits_as_long_as_retry_after_says(fake: FakeOpenAI) -> None:
    fake.fault(Fault.rate_limit, retry_after=7)
    sleep = RecordedSleep()
    model = OpenAICompatible(
        Role.reasoner, role_cfg(fake), retry=RetryPolicy(base_delay_s=0.001), sleep=sleep
    )
    await model.generate(chat("x"))
    await model.close()
    assert sleep.delays == [7.0]


async def test_truncated_answers_are_flagged_not_retried(fake: FakeOpenAI) -> None:
    fake.script(".", ["partial proof", "another"])
    fake.fault(Fault.truncated)
    model = OpenAICompatible(
        Role.prover, role_cfg(fake, n=2, temperature=0.7), retry=FAST, sleep=RecordedSleep()
    )
    response = await model.generate(chat("x"))
    await model.close()
    assert fake.request_count == 1
    assert all(c.truncated and c.finish_reason == "length" for c in response.choices)


async def test_client_errors_are_not_retried(fake: FakeOpenAI) -> None:
    sleep = RecordedSleep()
    cfg = role_cfg(fake, base_url=fake.base_url.removesuffix("/v1") + "/nowhere")
    model = OpenAICompatible(Role.prover, cfg, retry=FAST, sleep=sleep)
    with pytest.raises(ModelError, match="HTTP 404"):
        await model.generate(chat("x"))
    await model.close()
    assert sleep.delays == []


async def test_refused_connection_means_the_endpoint_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = RoleSettings(provider="openai", base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1)
    model = OpenAICompatible(Role.prover, cfg, retry=FAST, sleep=RecordedSleep())
    with pytest.raises(EndpointUnavailable, match="failed 2 attempt"):
        await model.generate(chat("x"))
    await model.close()


# ---------------------------------------------------------------------------------- answers and scores
async def test_n_choices_and_logprobs_for_the_step_role_on_both_endpoints(fake: FakeOpenAI) -> None:
    fake.script("⊢", ["nlinarith [sq_nonneg x]", "positivity"])
    for endpoint in ("chat", "completions"):
        cfg = role_cfg(fake, endpoint=endpoint, n=2, temperature=0.8)
        model = OpenAICompatible(Role.step, cfg, retry=FAST, sleep=RecordedSleep())
        request = chat("⊢ 0 ≤ x ^ 2") if endpoint == "chat" else LLMRequest(prompt="⊢ 0 ≤ x ^ 2")
        response = await model.generate(request)
        await model.close()
        assert [c.text for c in response.choices] == ["nlinarith [sq_nonneg x]", "positivity"]
        assert response.choices[0].logprob == pytest.approx(-0.1 * 3)  # 3 words at -0.1
        assert response.choices[1].logprob == pytest.approx(-0.2 * 1)  # 1 word at -0.2
        sent = fake.requests[-1]
        assert sent.path.endswith("chat/completions" if endpoint == "chat" else "/v1/completions")
        assert sent.body["n"] == 2
        assert sent.body["logprobs"] == (True if endpoint == "chat" else 1)


async def test_settings_reach_the_wire_and_extra_body_is_merged(fake: FakeOpenAI) -> None:
    cfg = role_cfg(
        fake,
        temperature=0.6,
        top_p=0.9,
        max_tokens=123,
        stop=["\n\n"],
        extra_body={"reasoning_effort": "high"},
    )
    model = OpenAICompatible(Role.reasoner, cfg, retry=FAST, sleep=RecordedSleep())
    await model.generate(chat("x", max_tokens=77))
    await model.close()
    body = fake.requests[-1].body
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["stop"]) == (0.6, 0.9, 77, ["\n\n"])
    assert body["reasoning_effort"] == "high"
    assert "logprobs" not in body  # only the step role asks for scores by default


async def test_a_prompt_template_drives_a_scripted_answer(fake: FakeOpenAI) -> None:
    fake.script(r"Complete the following Lean 4 code:", "```lean4\ntheorem t : 1 + 1 = 2 := by norm_num\n```")
    request = load_prompt("whole_proof").request(
        header="import Mathlib", formal_statement="theorem t : 1 + 1 = 2 := by"
    )
    model = OpenAICompatible(Role.prover, role_cfg(fake), retry=FAST, sleep=RecordedSleep())
    response = await model.generate(request)
    await model.close()
    assert "norm_num" in response.choices[0].text


# ---------------------------------------------------------------------- accounting, budget, cache, limits
async def test_accounting_totals_equal_the_usage_the_server_reported(fake: FakeOpenAI) -> None:
    fake.script("alpha", ["one two three", "four"])
    fake.fault(Fault.server_error)  # a failed attempt reports no usage and must not be counted
    accounting = Accounting()
    cfg = role_cfg(fake, price_prompt_per_mtok=1.0, price_completion_per_mtok=4.0, temperature=0.5)
    model = build_model(Role.prover, cfg, cache=None, budget=None, accounting=accounting, retry=FAST)
    assert model is not None
    prompts = ["alpha beta", "alpha gamma delta", "something else entirely here"]
    responses = await asyncio.gather(*(model.generate(chat(p, n=i + 1)) for i, p in enumerate(prompts)))
    await model.close()
    reported = fake.reported_usage
    assert len(reported) == 3
    total = accounting.total()
    assert total.calls == 3
    assert total.prompt_tokens == sum(u["prompt_tokens"] for u in reported)
    assert total.completion_tokens == sum(u["completion_tokens"] for u in reported)
    expected_cost = (total.prompt_tokens * 1.0 + total.completion_tokens * 4.0) / 1e6
    assert total.cost_usd == pytest.approx(expected_cost)
    assert sum(r.cost_usd for r in responses) == pytest.approx(expected_cost)


async def test_a_second_identical_run_hits_the_cache_and_sends_nothing(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script("goal", ["linarith", "nlinarith", "omega"])
    requests = [chat(f"goal {i}", n=3) for i in range(4)]

    async def run() -> tuple[list[list[str]], Accounting]:
        accounting = Accounting()
        cache = ResponseCache(tmp_path)
        model = build_model(
            Role.prover,
            role_cfg(fake, temperature=0.9),
            cache=cache,
            budget=Budget(),
            accounting=accounting,
            retry=FAST,
        )
        assert model is not None
        answers = [[c.text for c in (await model.generate(r)).choices] for r in requests]
        await model.close()
        cache.close()
        return answers, accounting

    first, first_accounting = await run()
    assert fake.request_count == 4
    fake.reset_counts()
    second, second_accounting = await run()
    assert fake.request_count == 0
    assert second == first
    assert second_accounting.total().cached_calls == 4
    assert second_accounting.total().calls == 0
    assert first_accounting.total().calls == 4


async def test_more_samples_than_cached_asks_only_for_the_missing_ones(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script("goal", ["a", "b", "c", "d"])
    model = build_model(
        Role.prover,
        role_cfg(fake, temperature=0.9),
        cache=ResponseCache(tmp_path),
        budget=None,
        accounting=None,
        retry=FAST,
    )
    assert model is not None
    await model.generate(chat("goal", n=2))
    response = await model.generate(chat("goal", n=4))
    await model.close()
    assert [r.body["n"] for r in fake.requests] == [2, 2]
    assert len(response.choices) == 4 and [c.index for c in response.choices] == [0, 1, 2, 3]
    assert not response.cached


async def test_without_a_cache_every_run_asks_again(fake: FakeOpenAI) -> None:
    model = build_model(Role.prover, role_cfg(fake), cache=None, budget=None, accounting=None, retry=FAST)
    assert model is not None
    await model.generate(chat("same"))
    await model.generate(chat("same"))
    await model.close()
    assert fake.request_count == 2


async def test_a_capped_budget_stops_calls_before_they_are_sent(fake: FakeOpenAI) -> None:
    budget = Budget(max_calls=2)
    model = build_model(Role.prover, role_cfg(fake), cache=None, budget=budget, accounting=None, retry=FAST)
    assert model is not None
    await model.generate(chat("one"))
    await model.generate(chat("two"))
    with pytest.raises(BudgetExhausted, match="call budget"):
        await model.generate(chat("three"))
    await model.close()
    assert fake.request_count == 2


async def test_a_token_cap_passed_by_a_call_raises_after_caching_its_answer(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script(".", "a long answer of many words")
    cache = ResponseCache(tmp_path)
    model = build_model(
        Role.prover, role_cfg(fake), cache=cache, budget=Budget(max_tokens=3), accounting=None, retry=FAST
    )
    assert model is not None
    with pytest.raises(BudgetExhausted, match="token budget"):
        await model.generate(chat("x"))
    assert len(cache) == 1  # paid for, so kept for a resumed run
    await model.close()


async def test_concurrency_limit_is_shared_per_endpoint(fake: FakeOpenAI) -> None:
    fake.fault(Fault.slow, times=6, delay_s=0.15)
    limits = EndpointLimits()
    prover_model = OpenAICompatible(Role.prover, role_cfg(fake, concurrency=2, timeout_s=10), limits=limits)
    step_model = OpenAICompatible(Role.step, role_cfg(fake, concurrency=2, timeout_s=10), limits=limits)
    await asyncio.gather(*(m.generate(chat(str(i))) for i, m in enumerate([prover_model, step_model] * 3)))
    await prover_model.close()
    await step_model.close()
    assert fake.request_count == 6
    assert fake.max_in_flight <= 2


# ------------------------------------------------------------------------------------------ factory
def test_provider_none_turns_the_role_off() -> None:
    assert build_model(Role.reasoner, RoleSettings(), cache=None, budget=None, accounting=None) is None


async def test_factory_builds_a_proof_model(fake: FakeOpenAI) -> None:
    model = build_model(Role.prover, role_cfg(fake), cache=None, budget=None, accounting=None)
    assert isinstance(model, ProofModel)
    assert (model.role, model.model_name) == ("prover", "fake-model")
    await model.close()


def test_real_endpoints_are_refused_under_tests() -> None:
    cfg = RoleSettings(
        provider="openai",
        base_url="https://api.deepseek.com/v1",
        model="deepseek-chat",
        api_key_env="DEEPSEEK_API_KEY",
    )
    with pytest.raises(ConfigError, match="loopback"):
        build_model(Role.reasoner, cfg, cache=None, budget=None, accounting=None)


def test_a_missing_key_for_a_remote_endpoint_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOOPBACK_ONLY_ENV)
    monkeypatch.delenv("PROVER_TEST_NO_SUCH_KEY", raising=False)
    cfg = RoleSettings(
        provider="openai",
        base_url="https://api.example.com/v1",
        model="m",
        api_key_env="PROVER_TEST_NO_SUCH_KEY",
    )
    with pytest.raises(ConfigError, match="PROVER_TEST_NO_SUCH_KEY"):
        build_model(Role.reasoner, cfg, cache=None, budget=None, accounting=None)
    no_env = cfg.model_copy(update={"api_key_env": None})
    with pytest.raises(ConfigError, match="api_key_env is not set"):
        build_model(Role.reasoner, no_env, cache=None, budget=None, accounting=None)


def test_no_cache_setting_gives_no_cache(tmp_path: Path) -> None:
    from prover.llm.factory import open_response_cache
    from prover.settings import Settings

    on = Settings(cache_dir=tmp_path)
    cache = open_response_cache(on)
    assert cache is not None and cache.path == tmp_path / "llm" / "responses.sqlite3"
    cache.close()
    off = Settings.model_validate({"cache_dir": tmp_path, "llm": {"cache": False}})
    assert open_response_cache(off) is None
