from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from prover.llm.base import Choice
from prover.llm.cache import ResponseCache, request_fingerprint, sample_key


def _write_many(path: str, writer: int, count: int) -> None:
    cache = ResponseCache(Path(path))
    for i in range(count):
        cache.put_many("m", {f"w{writer}:{i}": Choice(text=f"{writer}-{i}")})
    cache.close()


def test_round_trip_keeps_text_finish_reason_and_logprob(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put_many(
        "m", {"k0": Choice(text="a", finish_reason="length", logprob=-1.5), "k1": Choice(text="b")}
    )
    found = cache.get_many(["k0", "k1", "absent"])
    assert found["k0"] == Choice(text="a", finish_reason="length", truncated=True, logprob=-1.5)
    assert found["k1"].text == "b"
    assert "absent" not in found
    assert cache.path == tmp_path / "responses.sqlite3"


def test_entries_survive_reopening(tmp_path: Path) -> None:
    first = ResponseCache(tmp_path / "c.sqlite3")
    first.put_many("m", {"k": Choice(text="kept")})
    first.close()
    assert ResponseCache(tmp_path / "c.sqlite3").get_many(["k"])["k"].text == "kept"


def test_database_uses_wal(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put_many("m", {"k": Choice(text="x")})
    (mode,) = sqlite3.connect(cache.path).execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_fingerprint_changes_with_every_parameter_and_ignores_key_order() -> None:
    base = {"prompt": "p", "temperature": 0.7, "n_ignored": None}
    same = {"n_ignored": None, "temperature": 0.7, "prompt": "p"}
    assert request_fingerprint("m", base) == request_fingerprint("m", same)
    assert request_fingerprint("m", base) != request_fingerprint("m2", base)
    assert request_fingerprint("m", base) != request_fingerprint("m", {**base, "temperature": 0.8})
    assert sample_key("f", 0) != sample_key("f", 1)


def test_concurrent_writers_from_threads_lose_nothing(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)

    def write(writer: int) -> None:
        for i in range(100):
            cache.put_many("m", {f"t{writer}:{i}": Choice(text=str(i))})

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 400


def test_concurrent_writers_from_processes_lose_nothing(tmp_path: Path) -> None:
    ResponseCache(tmp_path).close()  # create the schema first, as a run's entry point does
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_many, args=(str(tmp_path), w, 100)) for w in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    cache = ResponseCache(tmp_path)
    assert len(cache) == 300
    assert cache.get_many(["w2:99"])["w2:99"].text == "2-99"


def test_unusable_location_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    from prover.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot open the LLM response cache"):
        ResponseCache(blocker / "sub")
