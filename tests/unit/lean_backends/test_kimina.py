"""KiminaBackend against a real local HTTP server answering with the 102 recorded Kimina responses."""

from __future__ import annotations

import json
import math
import socket
from typing import Any, Literal

import httpx
import pytest

from prover.errors import BackendError, ConfigError, LeanUnavailable, ProtocolError
from prover.lean.backend import CAP_COMMAND, LeanBackend
from prover.lean.kimina import KiminaBackend
from prover.lean.kimina_wire import LINE_PROBE
from prover.settings import LeanSettings
from prover.types import CheckResult, Pos, Severity, StateRef, Verdict
from tests.fakes.kimina_server import Fault, KiminaFakeServer, Transcript

TIMED_OUT = {"lean_workbook_10036", "lean_workbook_10090", "lean_workbook_10303", "lean_workbook_1036"}


class SleepLog:
    """Stands in for asyncio.sleep: records the pauses the backend asked for, without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def settings(url: str, **fields: Any) -> LeanSettings:
    """Kimina settings; lines count from the body (as the recordings do) unless a test says otherwise."""
    return LeanSettings(backend="kimina", kimina_url=url, **{"kimina_lines": "body", **fields})


def backend(url: str, sleep: SleepLog | None = None, **fields: Any) -> KiminaBackend:
    return KiminaBackend(settings(url, **fields), sleep=sleep or SleepLog(), backoff_s=0.01)


def leading_header_lines(code: str) -> int:
    lines = code.split("\n")
    count = 0
    while count < len(lines) and (not lines[count].strip() or lines[count].startswith("import ")):
        count += 1
    return count


def message_rows(result: CheckResult) -> list[tuple[str, int, int, int | None, int | None, str]]:
    return [
        (
            m.severity.value,
            m.pos.line,
            m.pos.column,
            m.end_pos.line if m.end_pos else None,
            m.end_pos.column if m.end_pos else None,
            m.text,
        )
        for m in result.messages
    ]


def recorded_rows(
    recorded: dict[str, Any], offset: int
) -> list[tuple[str, int, int, int | None, int | None, str]]:
    messages = (recorded.get("response") or {}).get("messages") or []
    return [
        (
            m["severity"],
            m["pos"]["line"] + offset,
            m["pos"]["column"],
            m["endPos"]["line"] + offset if m.get("endPos") else None,
            m["endPos"]["column"] if m.get("endPos") else None,
            m["data"],
        )
        for m in messages
    ]


def expected_verdict(recorded: dict[str, Any]) -> Verdict:
    if recorded["error"] is not None:
        return Verdict.timeout
    messages = recorded["response"].get("messages") or []
    if any(m["severity"] == "error" for m in messages):
        return Verdict.lean_error
    if any("declaration uses 'sorry'" in m["data"] for m in messages):
        return Verdict.sorry
    return Verdict.valid


def test_is_a_command_only_lean_backend() -> None:
    kimina = KiminaBackend(settings("http://127.0.0.1:9"))
    assert isinstance(kimina, LeanBackend)
    assert kimina.capabilities == frozenset({CAP_COMMAND})


async def test_run_tactic_is_refused_with_a_clear_error() -> None:
    kimina = KiminaBackend(settings("http://127.0.0.1:9"))
    state = StateRef(backend="kimina", worker=0, generation=0, proof_state=0)
    with pytest.raises(BackendError, match="tactic"):
        await kimina.run_tactic(state, "simp")
    await kimina.close()


async def test_all_recorded_verify_responses_round_trip(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    """All 102 recordings through /verify: messages at file lines, verdicts, raw kept whole, batched by 8."""
    assert len(kimina_transcripts) == 102
    kimina = backend(
        kimina_fake.url,
        kimina_endpoint="verify",
        kimina_lines="body",
        kimina_batch_size=8,
        kimina_server_repls=8,
    )
    results = await kimina.check_many([t.code for t in kimina_transcripts], timeout=60)
    await kimina.close()

    assert len(kimina_fake.requests) == math.ceil(102 / 8)
    assert all(r.path == "/verify" for r in kimina_fake.requests)
    timeouts = set()
    for transcript, result in zip(kimina_transcripts, results, strict=True):
        recorded = transcript.result
        published = {key: value for key, value in recorded.items() if value is not None}  # None left out
        assert result.raw == {**published, "custom_id": result.raw["custom_id"]}, transcript.name
        assert message_rows(result) == recorded_rows(recorded, leading_header_lines(transcript.code))
        assert result.verdict is expected_verdict(recorded), transcript.name
        if result.verdict is Verdict.timeout:
            timeouts.add(transcript.name.removeprefix("goedel-"))
        else:
            assert result.elapsed_s == recorded["response"]["time"]
            assert result.env == recorded["response"].get("env")
    assert timeouts == TIMED_OUT


@pytest.mark.parametrize("server_lines", ["body", "file"])
async def test_check_endpoint_gives_file_lines_whatever_the_server_counts(
    kimina_transcripts: list[Transcript], server_lines: Literal["body", "file"]
) -> None:
    with KiminaFakeServer.from_transcripts(kimina_transcripts, lines=server_lines) as fake:
        kimina = backend(
            fake.url,
            kimina_endpoint="check",
            kimina_lines=server_lines,
            kimina_batch_size=16,
            kimina_server_repls=16,
        )
        results = await kimina.check_many([t.code for t in kimina_transcripts])
        await kimina.close()
    assert len(fake.requests) == math.ceil(102 / 16)
    for transcript, result in zip(kimina_transcripts, results, strict=True):
        assert message_rows(result) == recorded_rows(transcript.result, leading_header_lines(transcript.code))
        assert result.verdict is expected_verdict(transcript.result)
        assert result.raw is not None and isinstance(result.raw["id"], str)


async def test_body_relative_lines_point_at_the_reported_text(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    """lean_workbook_1001: the server reported body line 18, columns 6-25; that is `simp [Complex.I_sq]`."""
    transcript = next(t for t in kimina_transcripts if t.name == "goedel-lean_workbook_1001")
    kimina = backend(kimina_fake.url, kimina_endpoint="verify", kimina_lines="body")
    result = await kimina.check(transcript.code)
    await kimina.close()
    first = result.messages[0]
    assert (first.pos, first.end_pos) == (Pos(line=21, column=6), Pos(line=21, column=25))
    line = transcript.code.split("\n")[first.pos.line - 1]
    assert line[first.pos.column : first.end_pos.column] == "simp [Complex.I_sq]"
    assert result.verdict is Verdict.valid  # linter warnings only


async def test_check_request_has_the_servers_field_names(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_KIMINA_KEY", "s3cret")
    kimina_fake.api_key = "s3cret"
    kimina = backend(kimina_fake.url, kimina_api_key_env="TEST_KIMINA_KEY")
    result = await kimina.check(kimina_transcripts[0].code, timeout=12.5)
    await kimina.close()
    (seen,) = kimina_fake.requests
    assert seen.path == "/api/check"
    assert set(seen.body) == {"snippets", "timeout", "debug", "reuse"}
    assert seen.body["timeout"] == 13 and seen.body["reuse"] is True and seen.body["debug"] is False
    assert [set(s) for s in seen.body["snippets"]] == [{"id", "code"}]
    assert seen.headers["Authorization"] == "Bearer s3cret"
    assert result.verdict is not Verdict.backend_error


async def test_fresh_check_asks_the_server_not_to_reuse_a_repl(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    kimina = backend(kimina_fake.url)
    await kimina.check(kimina_transcripts[0].code, fresh=True)
    await kimina.check(kimina_transcripts[0].code)
    await kimina.close()
    assert [r.body["reuse"] for r in kimina_fake.requests] == [False, True]


async def test_wrong_api_key_is_a_config_error(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_KIMINA_KEY", "wrong")
    kimina_fake.api_key = "right"
    kimina = backend(kimina_fake.url, kimina_api_key_env="TEST_KIMINA_KEY")
    with pytest.raises(ConfigError, match="API key"):
        await kimina.check(kimina_transcripts[0].code)
    await kimina.close()


def test_missing_api_key_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_KIMINA_KEY", raising=False)
    with pytest.raises(ConfigError, match="TEST_KIMINA_KEY"):
        KiminaBackend(settings("http://127.0.0.1:9", kimina_api_key_env="TEST_KIMINA_KEY"))


async def test_rate_limit_server_error_and_dropped_connection_are_retried(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    transcript = kimina_transcripts[1]
    kimina_fake.inject(Fault.rate_limit(retry_after="3"), Fault.server_error(), Fault.drop())
    sleeps = SleepLog()
    kimina = backend(kimina_fake.url, sleeps, kimina_endpoint="verify", kimina_lines="body")
    result = await kimina.check(transcript.code)
    await kimina.close()
    assert [r.fault.kind if r.fault else None for r in kimina_fake.requests] == [
        "rate_limit",
        "server_error",
        "drop",
        None,
    ]
    assert sleeps.delays[0] == 3.0  # Retry-After honoured
    assert 0.01 <= sleeps.delays[2] <= 0.04 and sleeps.delays[1] <= 0.02  # exponential backoff with jitter
    assert result.raw == {"response": transcript.result["response"], "custom_id": result.raw["custom_id"]}


async def test_persistent_server_errors_end_in_lean_unavailable(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    kimina_fake.inject(*[Fault.server_error()] * 4)
    sleeps = SleepLog()
    kimina = KiminaBackend(settings(kimina_fake.url), sleep=sleeps, max_attempts=4, backoff_s=0.01)
    with pytest.raises(LeanUnavailable, match="HTTP 500"):
        await kimina.check(kimina_transcripts[0].code)
    await kimina.close()
    assert len(kimina_fake.requests) == 4 and len(sleeps.delays) == 3


async def test_unreachable_server_is_lean_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = SleepLog()
    kimina = KiminaBackend(settings(f"http://127.0.0.1:{port}"), sleep=sleeps, max_attempts=3, backoff_s=0.01)
    with pytest.raises(LeanUnavailable) as caught:
        await kimina.check("theorem t : True := trivial")
    await kimina.close()
    assert caught.value.exit_code == 3 and "ConnectError" in str(caught.value)
    assert len(sleeps.delays) == 2


async def test_a_wait_past_the_read_limit_is_retried_not_reported_as_a_timeout(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    """The server answers the first request too late (it was queued): the snippets are re-sent, and their
    verdicts are Lean's, not ``timeout``."""
    kimina_fake.inject(Fault.slow(30.0))
    sleeps = SleepLog()
    kimina = KiminaBackend(
        settings(kimina_fake.url, kimina_batch_size=2, kimina_server_repls=2, kimina_lines="body"),
        http_grace_s=0.2,
        sleep=sleeps,
        backoff_s=0.01,
    )
    codes = [t.code for t in kimina_transcripts if t.result["error"] is None][:2]
    results = await kimina.check_many(codes, timeout=0.1)
    await kimina.close()
    assert [r.verdict for r in results] == [
        expected_verdict(t.result) for t in kimina_transcripts if t.code in codes
    ]
    assert Verdict.timeout not in [r.verdict for r in results]
    # re-sent one at a time: a request past its read limit halves the snippets allowed in flight
    assert [r.fault.kind if r.fault else None for r in kimina_fake.requests] == ["slow", None, None]
    assert kimina.stats.client_wait_retries == 2 and len(sleeps.delays) == 1
    assert kimina.stats.capacity == 1


async def test_a_server_that_never_answers_in_time_is_unavailable_not_a_timeout(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    kimina_fake.inject(Fault.slow(30.0), Fault.slow(30.0))
    kimina = KiminaBackend(
        settings(kimina_fake.url, kimina_lines="body"),
        http_grace_s=0.05,
        sleep=SleepLog(),
        max_attempts=2,
    )
    with pytest.raises(LeanUnavailable, match="read limit 2 times"):
        await kimina.check(kimina_transcripts[0].code, timeout=0.1)
    await kimina.close()


async def test_scripted_answers_give_each_verdict(empty_kimina_fake: KiminaFakeServer) -> None:
    error_message = {
        "severity": "error",
        "pos": {"line": 1, "column": 42},
        "endPos": {"line": 1, "column": 50},
        "data": "linarith failed",
    }
    sorry_warning = {
        "severity": "warning",
        "pos": {"line": 1, "column": 8},
        "endPos": {"line": 1, "column": 9},
        "data": "declaration uses 'sorry'",
    }
    sorry = {"pos": {"line": 1, "column": 25}, "endPos": {"line": 1, "column": 30}, "goal": "⊢ 1 = 1"}
    answers = {
        "theorem a : 1 = 2 := by linarith": {"error": None, "response": {"messages": [error_message]}},
        "theorem b : 1 = 1 := by sorry": {
            "error": None,
            "response": {"messages": [sorry_warning], "sorries": [sorry], "env": 0},
        },
        "theorem c : 1 = 1 := rfl": {"error": None, "response": {"env": 0, "time": 0.5}},
        "theorem d : True := by decide": {
            "error": "Lean REPL command timed out in 1 seconds",
            "response": None,
        },
        "theorem e : True := trivial": {"error": None, "response": {"message": "Unknown environment."}},
        "theorem f : True := trivial": {"error": "no REPL could start", "response": None},
    }
    for code, answer in answers.items():
        empty_kimina_fake.add(code, answer)
    kimina = backend(empty_kimina_fake.url)
    results = await kimina.check_many(list(answers))
    await kimina.close()
    assert [r.verdict for r in results] == [
        Verdict.lean_error,
        Verdict.sorry,
        Verdict.valid,
        Verdict.timeout,
        Verdict.backend_error,
        Verdict.backend_error,
    ]
    assert results[0].errors[0].severity is Severity.error and results[0].errors[0].text == "linarith failed"
    (hole,) = results[1].sorries
    assert hole.goal == "⊢ 1 = 1" and hole.pos == Pos(line=1, column=25) and hole.state is None
    assert results[2].elapsed_s == 0.5


async def test_answers_that_break_the_protocol_raise_protocol_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": []})

    kimina = KiminaBackend(settings("http://kimina.test"), transport=httpx.MockTransport(answer))
    with pytest.raises(ProtocolError, match="lacks results"):
        await kimina.check("theorem t : True := trivial")
    await kimina.close()


async def test_a_rejected_request_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(422, json={"detail": "snippets: field required"})

    kimina = KiminaBackend(settings("http://kimina.test"), transport=httpx.MockTransport(answer))
    with pytest.raises(ProtocolError, match="422"):
        await kimina.check("theorem t : True := trivial")
    await kimina.close()
    assert len(calls) == 1


# ------------------------------------------------------------- the published server's behaviour (issue 15)
ERROR_FILE = "import Mathlib\n\nopen Real\n\ntheorem t : (2 : ℝ) ≤ 1 := by\n  norm_num\n"


@pytest.mark.parametrize("server_lines", ["body", "file"])
async def test_line_counting_is_probed_once_per_server(server_lines: Literal["body", "file"]) -> None:
    """``kimina_lines = "auto"``: one probe, then every position is a file position whatever the server does."""
    with KiminaFakeServer(lines=server_lines) as fake:
        kimina = backend(fake.url, kimina_lines="auto")
        first = await kimina.check(ERROR_FILE.replace("norm_num", "sorry"))
        again = await kimina.check_many([ERROR_FILE.replace("norm_num", "sorry")] * 3)
        await kimina.close()
    probes = [r for r in fake.requests if LINE_PROBE in [s["code"] for s in r.body["snippets"]]]
    assert len(probes) == 1 and fake.requests[0] is probes[0]
    assert kimina.stats.lines == server_lines
    for result in (first, *again):
        (hole,) = result.sorries
        assert hole.pos == Pos(line=6, column=2)  # the file's `sorry`, line 6
        assert result.messages[0].pos == Pos(line=5, column=8)  # the warning on the theorem's name


async def test_a_configured_line_count_is_not_probed(empty_kimina_fake: KiminaFakeServer) -> None:
    kimina = backend(empty_kimina_fake.url, kimina_lines="body")
    result = await kimina.check(ERROR_FILE.replace("norm_num", "sorry"))
    await kimina.close()
    assert len(empty_kimina_fake.requests) == 1 and result.sorries[0].pos.line == 6


async def test_an_unreadable_probe_answer_falls_back_to_body_lines(
    empty_kimina_fake: KiminaFakeServer,
) -> None:
    empty_kimina_fake.add(LINE_PROBE, {"error": None, "response": {"env": 0}})  # no message: says nothing
    kimina = backend(empty_kimina_fake.url, kimina_lines="auto")
    await kimina.check("theorem t : True := trivial")
    await kimina.close()
    assert kimina.stats.lines == "body"


async def test_no_available_repls_is_retried_backpressure_never_a_verdict(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    """The published server answers a full house with HTTP 200 and per-snippet "No available REPLs"."""
    kimina_fake.inject(Fault.busy(), Fault.busy())
    sleeps = SleepLog()
    kimina = backend(kimina_fake.url, sleeps, kimina_batch_size=3, kimina_server_repls=3)
    chosen = kimina_transcripts[:3]
    results = await kimina.check_many([t.code for t in chosen], timeout=60)
    await kimina.close()
    assert [r.verdict for r in results] == [expected_verdict(t.result) for t in chosen]
    assert Verdict.backend_error not in [r.verdict for r in results]
    # 3 refused, then (in flight halved to 1) the first refused again, then one at a time
    assert [len(r.body["snippets"]) for r in kimina_fake.requests] == [3, 1, 1, 1, 1]
    assert len(sleeps.delays) == 2
    assert 0.005 <= sleeps.delays[0] <= 0.01 and 0.01 <= sleeps.delays[1] <= 0.02  # jittered, growing
    assert kimina.stats.busy_retries == 4 and kimina.stats.snippets == 3 and kimina.stats.capacity == 1


async def test_a_server_that_stays_full_is_unavailable_not_a_failed_candidate(
    kimina_fake: KiminaFakeServer, kimina_transcripts: list[Transcript]
) -> None:
    kimina_fake.inject(*[Fault.busy()] * 3)
    kimina = KiminaBackend(settings(kimina_fake.url), sleep=SleepLog(), max_attempts=3, backoff_s=0.01)
    with pytest.raises(LeanUnavailable, match="No available REPLs"):
        await kimina.check(kimina_transcripts[0].code)
    await kimina.close()


async def test_no_more_snippets_in_flight_than_the_server_has_repls() -> None:
    """24 snippets, batch size 8, a server of 2 REPLs that gives up waiting for a REPL at once: nothing is
    ever refused, because the client never sends more than 2 snippets at a time."""
    codes = [f"theorem t{i} : {i} + 0 = {i} := by\n  sorry" for i in range(24)]
    with KiminaFakeServer(repls=2, max_wait_s=0.0, snippet_latency_s=0.02) as fake:
        kimina = backend(fake.url, kimina_batch_size=8, kimina_server_repls=2)
        results = await kimina.check_many(codes, timeout=3)
        await kimina.close()
    assert [r.verdict for r in results] == [Verdict.sorry] * 24
    assert [r.sorries[0].pos.line for r in results] == [2] * 24
    assert fake.max_in_flight <= 2
    assert all(len(r.body["snippets"]) <= 2 for r in fake.requests)
    assert kimina.stats.busy_retries == 0 and kimina.stats.client_wait_retries == 0


async def test_the_read_limit_covers_the_header_and_the_body_of_each_snippet() -> None:
    limits: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        limits.append(request.extensions["timeout"]["read"])
        snippets = json.loads(request.content)["snippets"]
        return httpx.Response(
            200, json={"results": [{"id": s["id"], "time": 0.1, "response": {}} for s in snippets]}
        )

    kimina = KiminaBackend(
        settings("http://kimina.test", kimina_batch_size=8, kimina_server_repls=2),
        transport=httpx.MockTransport(answer),
        http_grace_s=10.0,
    )
    await kimina.check_many(["theorem t : True := trivial"] * 5, timeout=3)
    await kimina.close()
    assert limits == [2 * 3 + 10.0] * 3  # batches of 2, 2 and 1: each snippet has its own REPL


async def test_an_overstated_server_size_is_corrected_from_its_refusals() -> None:
    """The setting says 8 REPLs, the server has 2 and refuses at once: the client halves what it sends until
    nothing is refused, and every snippet still gets its verdict."""
    codes = [f"theorem t{i} : {i} + 0 = {i} := by\n  sorry" for i in range(16)]
    with KiminaFakeServer(repls=2, max_wait_s=0.0, snippet_latency_s=0.02) as fake:
        kimina = backend(fake.url, kimina_batch_size=8, kimina_server_repls=8)
        results = await kimina.check_many(codes, timeout=3)
        await kimina.close()
    assert [r.verdict for r in results] == [Verdict.sorry] * 16
    assert kimina.stats.busy_retries > 0 and kimina.stats.capacity <= 2
    assert kimina.stats.snippets == 16
