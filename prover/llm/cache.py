"""A response cache in one SQLite file: reruns and resumed runs reuse answers instead of paying again.

One row per sample: the key hashes the model, the endpoint, the prompt or messages, every sampling parameter
and the sample's index, so a request for ``n`` samples is ``n`` rows and a later request for more samples
reuses the first ones. WAL mode plus a busy timeout make concurrent writers (threads or processes) safe;
every write is one short transaction and ``INSERT OR REPLACE`` makes racing writers of the same key harmless.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from prover.errors import ConfigError
from prover.llm.base import Choice

log = logging.getLogger(__name__)

CACHE_FILE_NAME = "responses.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    logprob REAL,
    created REAL NOT NULL
)
"""


def request_fingerprint(model: str, parameters: Mapping[str, Any]) -> str:
    """Canonical hash of everything that determines an answer except the sample index."""
    canonical = json.dumps({"model": model, **parameters}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sample_key(fingerprint: str, index: int) -> str:
    return f"{fingerprint}:{index}"


class ResponseCache:
    """SQLite-backed cache of choices. ``path`` is a file, or a directory that gets ``responses.sqlite3``."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path / CACHE_FILE_NAME if path.suffix == "" or path.is_dir() else path
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as connection:
                connection.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the LLM response cache: {exc}", where=str(self.path)) from exc

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread (sqlite3 connections are not thread-safe); close() may run on any thread.
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_s * 1000)}")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def get_many(self, keys: Iterable[str]) -> dict[str, Choice]:
        wanted = list(keys)
        if not wanted:
            return {}
        placeholders = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            f"SELECT key, text, finish_reason, logprob FROM responses WHERE key IN ({placeholders})", wanted
        )
        found: dict[str, Choice] = {}
        for key, text, finish_reason, logprob in rows:
            found[key] = Choice(
                text=text, finish_reason=finish_reason, truncated=finish_reason == "length", logprob=logprob
            )
        return found

    def put_many(self, model: str, entries: Mapping[str, Choice]) -> None:
        if not entries:
            return
        now = time.time()
        rows = [(key, model, c.text, c.finish_reason, c.logprob, now) for key, c in entries.items()]
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT OR REPLACE INTO responses (key, model, text, finish_reason, logprob, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        except sqlite3.Error:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def __len__(self) -> int:
        (count,) = self._connection().execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(count)

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
