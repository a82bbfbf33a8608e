"""Per-endpoint concurrency limits, shared by every model of a run that talks to the same server."""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger(__name__)


class EndpointLimits:
    """One ``asyncio.Semaphore`` per base URL. Created at the entry point of a run and passed to the factory.

    The first role to ask for a URL fixes its limit; a later, different limit for the same URL is logged and
    ignored (a semaphore cannot be resized safely while requests hold it). Use within one event loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphores: dict[str, tuple[int, asyncio.Semaphore]] = {}

    def semaphore(self, base_url: str, limit: int) -> asyncio.Semaphore:
        with self._lock:
            known = self._semaphores.get(base_url)
            if known is None:
                known = (limit, asyncio.Semaphore(limit))
                self._semaphores[base_url] = known
            elif known[0] != limit:
                log.info("endpoint %s keeps concurrency %d (asked for %d)", base_url, known[0], limit)
            return known[1]
