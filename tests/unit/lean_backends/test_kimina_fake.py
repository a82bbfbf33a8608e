"""The fake Kimina server answers as the published server (kimina-ast-server 2.1.3) does, point by point.

Each expectation below was read off the published server's code (``server/routers/check.py``,
``routers/backward.py``, ``manager.py``, the ``kimina_client`` request models) and seen from it with
``scripts/kimina_real_server.sh``; the fake must not be kinder than the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.kimina_server import BUSY_ERROR, Fault, KiminaFakeServer

TIMED_OUT = "Lean REPL command timed out in 5 seconds"


@pytest.fixture
def fake() -> Iterator[KiminaFakeServer]:
    with KiminaFakeServer() as server:
        server.add("theorem slow : True := by decide", {"error": TIMED_OUT, "response": None})
        yield server


def post(fake: KiminaFakeServer, path: str, body: Any) -> httpx.Response:
    return httpx.post(fake.url + path, json=body, timeout=10)


def check(fake: KiminaFakeServer, *codes: str, **fields: Any) -> httpx.Response:
    snippets = [{"id": f"s{i}", "code": code} for i, code in enumerate(codes)]
    return post(fake, "/api/check", {"snippets": snippets, **fields})


def test_health(fake: KiminaFakeServer) -> None:
    answer = httpx.get(fake.url + "/health", timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_a_full_server_answers_200_with_no_available_repls_per_snippet() -> None:
    with KiminaFakeServer(repls=1, max_wait_s=0.05, snippet_latency_s=0.5) as server:
        answer = check(server, "theorem a : True := trivial", "theorem b : True := trivial")
    assert answer.status_code == 200
    busy = [r for r in answer.json()["results"] if "error" in r]
    assert len(busy) == 1 and busy[0]["time"] == 0.0 and busy[0]["error"] == BUSY_ERROR
    assert set(busy[0]) == {"id", "time", "error"}


def test_the_busy_fault_refuses_every_snippet_of_one_request(fake: KiminaFakeServer) -> None:
    fake.inject(Fault.busy())
    first = check(fake, "theorem a : True := trivial").json()["results"]
    second = check(fake, "theorem a : True := trivial").json()["results"]
    assert first == [{"id": "s0", "time": 0.0, "error": BUSY_ERROR}]
    assert "response" in second[0] and "error" not in second[0]


def test_error_is_left_out_when_null_and_diagnostics_come_with_timeouts(fake: KiminaFakeServer) -> None:
    ok, slow = check(fake, "theorem a : True := trivial", "theorem slow : True := by decide").json()[
        "results"
    ]
    assert set(ok) == {"id", "time", "response"}
    assert slow["error"] == TIMED_OUT and "response" not in slow and set(slow["diagnostics"]) == {"repl_uuid"}


def test_debug_adds_diagnostics_to_every_result(fake: KiminaFakeServer) -> None:
    (ok,) = check(fake, "theorem a : True := trivial", debug=True).json()["results"]
    assert set(ok["diagnostics"]) == {"repl_uuid", "cpu_max", "memory_max"}


def test_verify_timeouts_carry_custom_id_and_error_only(fake: KiminaFakeServer) -> None:
    codes = [
        {"custom_id": 7, "proof": "theorem slow : True := by decide"},
        {"custom_id": "b", "code": "#check 1"},
    ]
    slow, ok = post(fake, "/verify", {"codes": codes}).json()["results"]
    assert slow == {"custom_id": "7", "error": TIMED_OUT}  # an integer custom_id comes back a string
    assert set(ok) == {"custom_id", "response"} and "time" in ok["response"]


def test_verify_code_with_neither_proof_nor_code_is_a_500(fake: KiminaFakeServer) -> None:
    answer = post(fake, "/verify", {"codes": [{"custom_id": "x"}]})
    assert answer.status_code == 500 and answer.text == "Internal Server Error"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"snippets": [{"id": 1, "code": "#check 1"}]}, ["body", "snippets", 0, "id"]),
        ({"snippets": [{"id": "a", "code": "#check 1"}], "timeout": -1}, ["body", "timeout"]),
        ({"snippets": []}, ["body"]),
        ({"snippets": [{"id": "a", "code": "x"}, {"id": "a", "code": "y"}]}, ["body"]),
        ({"timeout": 5}, ["body", "snippets"]),
    ],
)
def test_invalid_bodies_get_fastapi_422_lists(fake: KiminaFakeServer, body: Any, loc: list[Any]) -> None:
    answer = post(fake, "/api/check", body)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"] == loc
    assert {"type", "loc", "msg", "input"} <= set(detail[0])


def test_extra_keys_are_ignored_and_a_string_timeout_is_coerced(fake: KiminaFakeServer) -> None:
    body = {
        "snippets": [{"id": "a", "code": "theorem a : True := trivial", "note": 1}],
        "timeout": "5",
        "x": 2,
    }
    answer = post(fake, "/api/check", body)
    assert answer.status_code == 200 and answer.json()["results"][0]["id"] == "a"


def test_unrecorded_snippets_are_answered_by_the_repl_double_on_the_body(fake: KiminaFakeServer) -> None:
    (result,) = check(fake, "import Mathlib\n\ntheorem t : True := by\n  sorry").json()["results"]
    (hole,) = result["response"]["sorries"]
    assert hole["pos"] == {"line": 2, "column": 2}  # body line 2: the published server adds nothing back
