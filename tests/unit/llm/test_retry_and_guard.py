from __future__ import annotations

import email.utils
import random
import time

import pytest

from prover.errors import ConfigError
from prover.llm.guard import LOOPBACK_ONLY_ENV, check_endpoint_allowed, is_loopback_url
from prover.llm.retry import RetryPolicy, retry_after_s


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({}, None),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_retry_after_header_forms(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_s(headers) == expected


def test_retry_after_http_date() -> None:
    header = email.utils.formatdate(time.time() + 30, usegmt=True)
    waited = retry_after_s({"Retry-After": header})
    assert waited is not None and 25 <= waited <= 31


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(7)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (6, 8.0)]:
        delay = policy.backoff_s(retry, rng)
        assert ceiling / 2 <= delay <= ceiling


def test_server_retry_after_wins_over_backoff_but_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_retry_after_s=10.0)
    rng = random.Random(0)
    assert policy.delay_s(0, rng, {"Retry-After": "7"}) == 7.0
    assert policy.delay_s(0, rng, {"Retry-After": "600"}) == 10.0


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://localhost/v1", True),
        ("http://[::1]:9/v1", True),
        ("https://api.openai.com/v1", False),
        ("http://10.0.0.2:8000/v1", False),
    ],
)
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_guard_refuses_real_endpoints_under_tests() -> None:
    import os

    assert os.environ.get(LOOPBACK_ONLY_ENV) == "1"  # set by the autouse fixture
    with pytest.raises(ConfigError, match=r"mark the test @pytest\.mark\.llm"):
        check_endpoint_allowed("https://api.deepseek.com/v1")
    check_endpoint_allowed("http://127.0.0.1:1/v1")


def test_guard_is_off_outside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOOPBACK_ONLY_ENV)
    check_endpoint_allowed("https://api.deepseek.com/v1")
