"""Client overhead of the LLM layer: N requests against the fake OpenAI server at zero latency.

The fake runs in its own process so the client's CPU time is its own. Modes, each over the same requests:
  raw-httpx   a bare httpx2.AsyncClient (the SDK's transport) POST of the same JSON (transport + server floor)
  sdk-client  prover's OpenAICompatible (openai SDK, retries, semaphore, parsing)
  full-stack  build_model(...) with Budget and Accounting (what strategies call), no cache
  full+cache  the same with the SQLite response cache writing every answer (a first, cold run)
  cache-hits  the same requests again: every answer from the cache, zero HTTP requests

Prints requests/s, median and p90 latency per request, client CPU ms per request, and overhead vs raw-httpx.

    python bench/llm_overhead.py [--requests 1000] [--concurrency 64] [--n 1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx2 as httpx  # the transport the openai SDK itself uses

from prover.llm.base import ChatMessage, LLMRequest, ProofModel, Role
from prover.llm.budget import Accounting, Budget
from prover.llm.cache import ResponseCache
from prover.llm.endpoints import EndpointLimits
from prover.llm.factory import build_model
from prover.llm.openai_compat import OpenAICompatible
from prover.settings import RoleSettings


def serve(pipe: Connection) -> None:
    from tests.fakes.openai_server import FakeOpenAI

    with FakeOpenAI(model="bench-model") as fake:
        fake.script(".", "theorem t : 1 + 1 = 2 := by norm_num")
        pipe.send(fake.base_url)
        pipe.recv()  # until the parent says stop
        pipe.send(fake.request_count)


class Result:
    def __init__(self, name: str, latencies: list[float], wall_s: float, cpu_s: float) -> None:
        self.name = name
        self.latencies = sorted(latencies)
        self.wall_s = wall_s
        self.cpu_s = cpu_s

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p90_ms(self) -> float:
        return self.latencies[int(0.9 * (len(self.latencies) - 1))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall_s

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s / len(self.latencies) * 1000


async def measure(
    name: str, count: int, concurrency: int, call: Callable[[int], Awaitable[object]]
) -> Result:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - started)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return Result(name, latencies, time.perf_counter() - wall0, time.process_time() - cpu0)


def request_for(i: int, n: int) -> LLMRequest:
    return LLMRequest(messages=(ChatMessage(role="user", content=f"prove lemma number {i}"),), n=n)


def calls_of(model: ProofModel, n: int) -> Callable[[int], Awaitable[object]]:
    async def call(i: int) -> object:
        return await model.generate(request_for(i, n))

    return call


async def run(base_url: str, count: int, concurrency: int, n: int) -> list[Result]:
    cfg = RoleSettings(
        provider="openai",
        base_url=base_url,
        model="bench-model",
        concurrency=concurrency,
        temperature=0.0,
        n=n,
        timeout_s=60,
        max_retries=0,
    )
    results: list[Result] = []

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as raw:

        async def raw_call(i: int) -> object:
            body = {
                "model": "bench-model",
                "messages": [{"role": "user", "content": f"prove lemma number {i}"}],
                "n": n,
                "temperature": 0.0,
                "top_p": 0.95,
                "max_tokens": 4096,
            }
            response = await raw.post("/chat/completions", json=body)
            response.raise_for_status()
            return response.json()

        await measure("warm-up", 50, concurrency, raw_call)
        results.append(await measure("raw-httpx", count, concurrency, raw_call))

    client = OpenAICompatible(Role.prover, cfg, limits=EndpointLimits())
    await measure("warm-up", 50, concurrency, lambda i: client.generate(request_for(i, n)))
    results.append(
        await measure("sdk-client", count, concurrency, lambda i: client.generate(request_for(i, n)))
    )
    await client.close()

    full = build_model(Role.prover, cfg, cache=None, budget=Budget(), accounting=Accounting())
    assert full is not None
    results.append(
        await measure("full-stack", count, concurrency, lambda i: full.generate(request_for(i, n)))
    )
    await full.close()

    with tempfile.TemporaryDirectory() as folder:
        for name in ("full+cache", "cache-hits"):
            cache = ResponseCache(Path(folder))
            cached = build_model(Role.prover, cfg, cache=cache, budget=Budget(), accounting=Accounting())
            assert cached is not None
            results.append(await measure(name, count, concurrency, calls_of(cached, n)))
            await cached.close()
            cache.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--n", type=int, default=1, help="choices per request")
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(child,), daemon=True)
    server.start()
    base_url = parent.recv()
    try:
        results = asyncio.run(run(base_url, args.requests, args.concurrency, args.n))
    finally:
        parent.send("stop")
        served = parent.recv() if parent.poll(10) else "?"
        server.join(timeout=10)

    floor = next(r for r in results if r.name == "raw-httpx")
    print(
        f"LLM client overhead: {args.requests} requests, concurrency {args.concurrency}, n={args.n}, "
        f"fake server in its own process (served {served} requests in all, warm-ups included)"
    )
    header = f"{'mode':<12} {'req/s':>8} {'median ms':>10} {'p90 ms':>8} {'client CPU ms/req':>18} {'+median ms vs raw':>18}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<12} {r.rps:>8.0f} {r.median_ms:>10.2f} {r.p90_ms:>8.2f} {r.cpu_ms_per_request:>18.3f} "
            f"{r.median_ms - floor.median_ms:>+18.2f}"
        )


if __name__ == "__main__":
    main()
