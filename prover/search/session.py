"""Build a ``ProveSession`` from Settings (Lean backend, models, Z3, lemma cache) and close it afterwards."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from prover.lean.backend import LeanBackend
from prover.lean.factory import open_backend
from prover.llm.base import ProofModel, Role
from prover.search.events import ProgressCallback, ignore_progress
from prover.search.lemma_cache import LemmaCache
from prover.search.prove_file import ProveSession
from prover.settings import Settings
from retrieval.base import Retriever

if TYPE_CHECKING:
    from prover.smt.engine import SmtEngine

log = logging.getLogger(__name__)

LEMMA_CACHE_FILE = "lemmas.sqlite3"
SEARCH_ROLES = (Role.prover, Role.step, Role.reasoner)


def _models(settings: Settings) -> dict[Role, ProofModel | None]:
    from prover.llm.budget import Accounting
    from prover.llm.endpoints import EndpointLimits
    from prover.llm.factory import build_model, open_response_cache
    from prover.llm.prompts import validate_all_prompts

    validate_all_prompts()  # a broken or missing template fails here, before any work
    cache = open_response_cache(settings)
    accounting = Accounting()
    limits = EndpointLimits()  # one per run: roles sharing an endpoint share its concurrency limit
    # Budgets are the search's own (per goal and per theorem), so the models get none.
    return {
        role: build_model(
            role,
            getattr(settings.llm, role.value),
            cache=cache,
            budget=None,
            accounting=accounting,
            limits=limits,
        )
        for role in SEARCH_ROLES
    }


def _smt(settings: Settings) -> SmtEngine | None:
    if not settings.smt.enabled:
        return None
    from prover.smt.engine import SmtEngine

    return SmtEngine(settings.smt)


def _retriever(settings: Settings) -> Retriever | None:
    """The premise retriever when an index was built (``prover index build``); otherwise none.

    Retrieval is an aid: an incomplete index (a build running elsewhere, interrupted, or without the
    dense part) never stops proving; it costs one warning saying how to build the rest."""
    if not settings.index_dir().is_dir():
        log.info("no premise index in %s: proving without retrieved premises", settings.index_dir())
        return None
    from prover.errors import RetrievalError
    from retrieval.retrievers import open_retriever_or_bm25

    try:
        retriever, missing = open_retriever_or_bm25(settings)
    except RetrievalError as error:
        log.warning("premise index not usable (%s): proving without retrieved premises", error)
        return None
    if missing is not None:
        log.warning("premise index: %s", missing)
    return retriever


@asynccontextmanager
async def open_session(
    settings: Settings,
    *,
    use_llm: bool,
    on_event: ProgressCallback = ignore_progress,
    backend: LeanBackend | None = None,
) -> AsyncIterator[ProveSession]:
    """A session for ``settings``; ``use_llm=False`` (``--no-llm``) builds no model at all."""
    lean: LeanBackend = backend if backend is not None else open_backend(settings.lean)
    models: dict[Role, ProofModel | None] = _models(settings) if use_llm else dict.fromkeys(SEARCH_ROLES)
    lemma_cache = (
        LemmaCache(settings.cache_dir / LEMMA_CACHE_FILE, settings.lean.profile)
        if settings.search.lemma_cache
        else None
    )
    smt = _smt(settings)
    try:
        yield ProveSession(
            settings=settings,
            backend=lean,
            models=models,
            smt=smt,
            retriever=_retriever(settings) if use_llm else None,
            lemma_cache=lemma_cache,
            on_event=on_event,
        )
    finally:
        for model in models.values():
            if model is not None:
                await model.close()
        await lean.close()
        if smt is not None:
            smt.close()
        if lemma_cache is not None:
            lemma_cache.close()
