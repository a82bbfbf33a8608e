"""Proved lemmas reused across problems and runs: SQLite, keyed by Lean profile and goal key.

Only proofs Lean accepted in command mode are stored, and a cached proof is never trusted on its own: it is a
candidate that the final certification of the assembled file checks again like any other.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lemmas (
    profile TEXT NOT NULL,
    goal_key TEXT NOT NULL,
    statement TEXT NOT NULL,
    proof TEXT NOT NULL,
    strategy TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (profile, goal_key)
)
"""


class LemmaCache:
    """One SQLite file; ``profile`` (the Lean/Mathlib version) is part of every key."""

    def __init__(self, path: Path, profile: str, *, timeout_s: float = 10.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.profile = profile
        self._db = sqlite3.connect(path, timeout=timeout_s)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, goal_key: str) -> str | None:
        row = self._db.execute(
            "SELECT proof FROM lemmas WHERE profile = ? AND goal_key = ?", (self.profile, goal_key)
        ).fetchone()
        return None if row is None else str(row[0])

    def put(self, goal_key: str, statement: str, proof: str, strategy: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO lemmas VALUES (?, ?, ?, ?, ?, ?)",
            (self.profile, goal_key, statement, proof, strategy, time.time()),
        )
        self._db.commit()

    def forget(self, goal_key: str) -> None:
        """Drop an entry (its proof failed certification, so it must not be offered again)."""
        self._db.execute("DELETE FROM lemmas WHERE profile = ? AND goal_key = ?", (self.profile, goal_key))
        self._db.commit()

    def __len__(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM lemmas WHERE profile = ?", (self.profile,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        self._db.close()
