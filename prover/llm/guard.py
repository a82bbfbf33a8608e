"""Keep tests from reaching a real LLM endpoint by accident.

When the environment variable ``PROVER_TEST_LOOPBACK_ONLY`` is ``1`` (test fixtures set it for every test not
marked ``llm``), clients refuse any base URL whose host is not a loopback address.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlparse

from prover.errors import ConfigError

LOOPBACK_ONLY_ENV = "PROVER_TEST_LOOPBACK_ONLY"


def is_loopback_url(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint_allowed(url: str) -> None:
    """Raise ``ConfigError`` for a non-loopback URL while the loopback-only guard is on."""
    if os.environ.get(LOOPBACK_ONLY_ENV) == "1" and not is_loopback_url(url):
        raise ConfigError(
            f"refusing to call {url}: tests may only reach loopback endpoints "
            f"(mark the test @pytest.mark.llm to allow real endpoints; {LOOPBACK_ONLY_ENV}=1 is set)"
        )
