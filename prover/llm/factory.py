"""``build_model``: the one place that turns a role's settings into a ``ProofModel`` (or ``None``: role off)."""

from __future__ import annotations

from prover.errors import ConfigError
from prover.llm.base import ProofModel, Role
from prover.llm.budget import Accounting, Budget
from prover.llm.cache import ResponseCache
from prover.llm.endpoints import EndpointLimits
from prover.llm.metered import MeteredModel
from prover.llm.retry import RetryPolicy
from prover.settings import RoleSettings, Settings


def build_model(
    role: Role,
    cfg: RoleSettings,
    *,
    cache: ResponseCache | None,
    budget: Budget | None,
    accounting: Accounting | None,
    limits: EndpointLimits | None = None,
    retry: RetryPolicy | None = None,
) -> ProofModel | None:
    """The role's model wrapped with cache, budget and accounting; ``None`` when ``provider == "none"``.

    Pass one ``limits`` for the whole run so roles sharing an endpoint share its concurrency limit.
    Pass ``cache=None`` for ``--no-cache`` (``settings.llm.cache = False``).
    """
    match cfg.provider:
        case "none":
            return None
        case "openai":
            from prover.llm.openai_compat import OpenAICompatible

            inner: OpenAICompatible | TransformersModel = OpenAICompatible(
                role, cfg, limits=limits, retry=retry
            )
        case "transformers":
            from prover.llm.hf import TransformersModel

            if not cfg.model:
                raise ConfigError(f"llm.{role}.model is empty: give a local path or a hub name")
            inner = TransformersModel(role, cfg)
    return MeteredModel(inner, cfg, cache=cache, budget=budget, accounting=accounting)


def open_response_cache(settings: Settings) -> ResponseCache | None:
    """The run's response cache under ``settings.llm_cache_dir()``, or ``None`` when ``llm.cache`` is off."""
    return ResponseCache(settings.llm_cache_dir()) if settings.llm.cache else None
