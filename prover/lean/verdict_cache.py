"""A Lean verdict cache: a ``LeanBackend`` wrapper that never pays twice for the same check.

Keyed by the Lean profile, a fingerprint of the Lake project (toolchain, manifest, lakefile: a changed
``lean_project/`` is a new key space) and the exact code text, which includes its header. Invariants:

- ``check(code, fresh=True)`` (certification) always reaches the wrapped backend and is never stored.
- Only deterministic verdicts are stored (``valid``, ``lean_error``, ``sorry``); timeouts, crashes and backend
  errors depend on the machine and are asked again.
- A result whose ``sorry`` goals carry proof-state handles is not stored: a handle is only valid inside the
  process that made it. Stored results carry no environment id for the same reason.
- Identical checks in flight at the same time are sent once (the later callers await the first one).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prover.lean.backend import LeanBackend
from prover.types import CheckResult, StateRef, StepResult, Verdict

log = logging.getLogger(__name__)

CACHEABLE = frozenset({Verdict.valid, Verdict.lean_error, Verdict.sorry})
PROJECT_FILES = ("lean-toolchain", "lake-manifest.json", "lakefile.lean", "lakefile.toml")
_SCHEMA = "CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, result TEXT NOT NULL)"


def project_fingerprint(project_dir: Path) -> str:
    """A digest of what decides Lean's answers in ``project_dir`` (empty files count as absent)."""
    digest = hashlib.sha256()
    for name in PROJECT_FILES:
        path = project_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"\0absent")
    return digest.hexdigest()[:16]


def cache_key(profile: str, fingerprint: str, code: str) -> str:
    return hashlib.sha256(f"{profile}\0{fingerprint}\0{code}".encode()).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    shared: int = 0  # identical checks that joined one already in flight
    stored: int = 0
    bypassed: int = 0  # fresh checks (certification)

    @property
    def lookups(self) -> int:
        return self.hits + self.misses + self.shared

    @property
    def hit_rate(self) -> float:
        return (self.hits + self.shared) / self.lookups if self.lookups else 0.0


class VerdictCache:
    """The SQLite table of stored results; one connection, used from one event loop thread."""

    def __init__(self, path: Path, *, profile: str, project_dir: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.profile = profile
        self.fingerprint = project_fingerprint(project_dir)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(_SCHEMA)

    def key(self, code: str) -> str:
        return cache_key(self.profile, self.fingerprint, code)

    def get(self, code: str) -> CheckResult | None:
        row = self._db.execute("SELECT result FROM verdicts WHERE key = ?", (self.key(code),)).fetchone()
        return CheckResult.model_validate_json(row[0]) if row is not None else None

    def put(self, code: str, result: CheckResult) -> bool:
        """Store ``result`` when it is cacheable (see the module docstring); returns whether it was."""
        if result.verdict not in CACHEABLE or any(s.state is not None for s in result.sorries):
            return False
        stored = result.model_copy(update={"env": None, "raw": None})
        self._db.execute(
            "INSERT OR REPLACE INTO verdicts (key, result) VALUES (?, ?)",
            (self.key(code), stored.model_dump_json(exclude={"raw"})),
        )
        return True

    def __len__(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM verdicts").fetchone()
        return int(row[0])

    def close(self) -> None:
        self._db.close()


class CachedBackend:
    """``LeanBackend`` that answers repeated non-fresh checks from a ``VerdictCache``."""

    def __init__(self, inner: LeanBackend, cache: VerdictCache) -> None:
        self.inner = inner
        self.cache = cache
        self.stats = CacheStats()
        self._in_flight: dict[str, asyncio.Future[CheckResult]] = {}

    @property
    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        if fresh:
            self.stats.bypassed += 1
            return await self.inner.check(code, timeout=timeout, fresh=True)
        stored = self.cache.get(code)
        if stored is not None:
            self.stats.hits += 1
            return stored
        key = self.cache.key(code)
        pending = self._in_flight.get(key)
        if pending is not None:
            self.stats.shared += 1
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this caller was cancelled, not the check it waited for
            except Exception:
                log.debug("a shared check failed; checking again", exc_info=True)
            return await self.inner.check(code, timeout=timeout)
        self.stats.misses += 1
        future: asyncio.Future[CheckResult] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self.inner.check(code, timeout=timeout)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # marked as retrieved: there may be nobody waiting
            raise
        finally:
            del self._in_flight[key]
        future.set_result(result)
        if self.cache.put(code, result):
            self.stats.stored += 1
        return result

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        """Stored answers from the cache; the distinct others in one batch to the wrapped backend."""
        answers: dict[str, CheckResult] = {}
        for code in codes:
            if code in answers:
                continue
            stored = self.cache.get(code)
            if stored is not None:
                answers[code] = stored
        self.stats.hits += sum(1 for code in codes if code in answers)
        missing = list(dict.fromkeys(code for code in codes if code not in answers))
        self.stats.misses += len(missing)
        self.stats.shared += sum(1 for code in codes if code not in answers) - len(missing)
        if missing:
            for code, result in zip(
                missing, await self.inner.check_many(missing, timeout=timeout), strict=True
            ):
                answers[code] = result
                if self.cache.put(code, result):
                    self.stats.stored += 1
        return [answers[code] for code in codes]

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        return await self.inner.run_tactic(state, tactic, timeout=timeout)

    async def close(self) -> None:
        await self.inner.close()
