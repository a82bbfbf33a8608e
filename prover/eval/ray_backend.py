"""``prover eval --ray``: each problem is a Ray task; each node has one Lean pool actor owning its REPLs.

- The driver submits at most ``eval.workers`` tasks at a time and records each result as it arrives (it alone
  writes ``results.jsonl``).
- A task runs the same orchestrator as the local pool (``prove_problem``) with a ``LeanBackend`` that forwards
  to its node's pool actor (``LeanPoolActor``, named per node, created on first use and pinned to the node).
  The actor wraps the node's backend in the verdict cache, so repeated checks on a node are paid once.
- A node that dies takes its running tasks with it; Ray reruns them elsewhere (``eval.ray_max_retries``).
  Finished problems are already in the log and are never rerun.

``import ray`` happens only here, inside functions: importing prover never imports Ray.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from prover.errors import DependencyError, ProverError
from prover.eval.results import ResultLine
from prover.lean.verdict_cache import CacheStats
from prover.settings import Settings
from prover.types import CheckResult, Problem, StateRef, StepResult

log = logging.getLogger(__name__)

POOL_NAME = "prover-lean-pool-{node}"
NAMESPACE = "prover"


def _ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise DependencyError("Ray is not installed: pip install 'prover[distributed]'") from error
    return ray


class LeanPoolActorImpl:
    """The Lean pool of one node (becomes a Ray actor): one backend, behind the verdict cache."""

    def __init__(self, settings_json: str) -> None:
        from prover.eval.runner import open_verdict_cache
        from prover.lean.factory import open_backend
        from prover.lean.verdict_cache import CachedBackend

        settings = Settings.model_validate_json(settings_json)
        inner = open_backend(settings.lean)
        self._cache = open_verdict_cache(settings)
        self._backend = CachedBackend(inner, self._cache) if self._cache is not None else inner

    async def capabilities(self) -> frozenset[str]:
        return self._backend.capabilities

    async def check(self, code: str, timeout: float | None, fresh: bool) -> CheckResult:
        return await self._backend.check(code, timeout=timeout, fresh=fresh)

    async def check_many(self, codes: list[str], timeout: float | None) -> list[CheckResult]:
        return await self._backend.check_many(codes, timeout=timeout)

    async def run_tactic(self, state: StateRef, tactic: str, timeout: float | None) -> StepResult:
        return await self._backend.run_tactic(state, tactic, timeout=timeout)

    async def stats(self) -> dict[str, int]:
        from prover.lean.verdict_cache import CachedBackend

        if not isinstance(self._backend, CachedBackend):
            return {}
        s = self._backend.stats
        return {"hits": s.hits, "misses": s.misses, "shared": s.shared, "bypassed": s.bypassed}

    async def shutdown(self) -> None:
        await self._backend.close()
        if self._cache is not None:
            self._cache.close()


class ActorBackend:
    """A ``LeanBackend`` inside a Ray task: every call goes to the node's pool actor."""

    def __init__(self, actor: Any, capabilities: frozenset[str]) -> None:
        self._actor = actor
        self._capabilities = capabilities

    @property
    def capabilities(self) -> frozenset[str]:
        return self._capabilities

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        result: CheckResult = await self._actor.check.remote(code, timeout, fresh)
        return result

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        results: list[CheckResult] = await self._actor.check_many.remote(list(codes), timeout)
        return results

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        result: StepResult = await self._actor.run_tactic.remote(state, tactic, timeout)
        return result

    async def close(self) -> None:
        """The actor outlives the task (it serves the node's next tasks)."""


def node_pool(ray: Any, settings_json: str) -> Any:
    """This node's Lean pool actor, created on first use and pinned to the node."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = ray.get_runtime_context().get_node_id()
    actor_class = ray.remote(num_cpus=0, max_concurrency=1000)(LeanPoolActorImpl)
    return actor_class.options(
        name=POOL_NAME.format(node=node),
        namespace=NAMESPACE,
        get_if_exists=True,
        lifetime="detached",
        scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False),
    ).remote(settings_json)


def prove_on_node(settings_json: str, problem_json: str, use_llm: bool) -> str:
    """The body of one Ray task: prove one problem through this node's Lean pool."""
    ray = _ray()
    from prover.eval.prove_problem import prove_problem
    from prover.search.session import open_session

    settings = Settings.model_validate_json(settings_json)
    problem = Problem.model_validate_json(problem_json)
    actor = node_pool(ray, settings_json)
    node = ray.get_runtime_context().get_node_id()

    async def run() -> ResultLine:
        capabilities = await actor.capabilities.remote()
        backend = ActorBackend(actor, capabilities)
        async with open_session(settings, use_llm=use_llm, backend=backend) as session:
            return await prove_problem(session, problem, worker=f"ray:{node[:8]}")

    return asyncio.run(run()).model_dump_json()


def run_on_ray(
    settings: Settings,
    problems: Sequence[Problem],
    *,
    use_llm: bool,
    on_result: Callable[[ResultLine], None],
) -> CacheStats:
    """Prove ``problems`` as Ray tasks, ``eval.workers`` in flight; returns the pools' verdict-cache counts."""
    ray = _ray()
    address = settings.eval.ray
    workers = settings.eval.workers
    started_here = not ray.is_initialized()
    if started_here:
        if address == "auto":
            # a local cluster sized to the run: one CPU per problem in flight, no dashboard
            ray.init(num_cpus=workers, include_dashboard=False, namespace=NAMESPACE, log_to_driver=False)
        else:
            try:
                ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
            except ConnectionError as error:
                raise DependencyError(f"cannot reach the Ray cluster at {address}: {error}") from error
    settings_json = settings.model_dump_json()
    task = ray.remote(num_cpus=1, max_retries=settings.eval.ray_max_retries, retry_exceptions=False)(
        prove_on_node
    )
    pending: dict[Any, str] = {}
    queue = list(problems)
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                problem = queue.pop(0)
                pending[task.remote(settings_json, problem.model_dump_json(), use_llm)] = problem.name
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                pending.pop(ref)
                on_result(ResultLine.model_validate_json(_result(ray, ref)))
        return _collect_stats(ray)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        _shutdown_pools(ray)
        if started_here:
            ray.shutdown()


def _result(ray: Any, ref: Any) -> str:
    """A task's result line; a ProverError raised in the task (Lean missing, ...) is raised as itself."""
    try:
        payload: str = ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        cause = getattr(error, "cause", None)
        if isinstance(cause, ProverError):
            raise cause from None
        raise
    return payload


def _pools(ray: Any) -> list[Any]:
    actors = []
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        try:
            actors.append(ray.get_actor(POOL_NAME.format(node=node["NodeID"]), namespace=NAMESPACE))
        except ValueError:
            continue  # no problem ran on that node
    return actors


def _collect_stats(ray: Any) -> CacheStats:
    total = CacheStats()
    for actor in _pools(ray):
        try:
            counts = ray.get(actor.stats.remote(), timeout=30)
        except ray.exceptions.RayError:  # its node was lost: its counts are lost with it
            log.warning("a Lean pool did not answer for its cache counts (node lost?)")
            continue
        total.hits += counts.get("hits", 0)
        total.misses += counts.get("misses", 0)
        total.shared += counts.get("shared", 0)
        total.bypassed += counts.get("bypassed", 0)
    return total


def _shutdown_pools(ray: Any) -> None:
    for actor in _pools(ray):
        try:
            ray.get(actor.shutdown.remote(), timeout=30)
        except ray.exceptions.RayError:  # the node may be gone; the actor is killed below either way
            log.debug("pool shutdown failed", exc_info=True)
        try:
            ray.kill(actor)
        except ray.exceptions.RayError:
            log.debug("pool kill failed", exc_info=True)
