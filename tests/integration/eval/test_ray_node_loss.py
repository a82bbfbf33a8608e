"""A Ray node lost in the middle of an eval: its unfinished problems are rerun on the other node, finished
ones are kept, and the run ends with every problem exactly once. Slow: a two-node local Ray cluster."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from prover.eval.results import read_results
from prover.eval.runner import EvalOptions, run_eval
from prover.settings import load_settings
from tests.fakes.openai_server import FakeOpenAI
from tests.integration.eval.conftest import eval_script, write_config

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_lost_node_loses_no_problem(tmp_path: Path, fake_llm: FakeOpenAI, minif2f: object) -> None:
    from ray.cluster_utils import Cluster

    from prover.data.problems import load_problems
    from prover.data.registry import dataset_file, find_source, load_registry

    write_config(tmp_path, eval_script(delay=0.1), fake_llm, workers=2)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    settings = load_settings(tmp_path / "prover.toml", {"eval.ray": cluster.address}).settings
    source = find_source(load_registry(), "minif2f.dspplus")
    problems = load_problems(dataset_file(source, settings.cache_dir))[:12]
    run_dir = tmp_path / "run"
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            run_eval(
                settings, EvalOptions(dataset="minif2f.dspplus", source="x", use_llm=False), problems, run_dir
            )
        except BaseException as error:  # reported by the main thread
            failure.append(error)

    driver = threading.Thread(target=drive)
    driver.start()
    try:
        deadline = time.monotonic() + 300
        doomed_id = doomed.node_id[:8]
        while not any(line.worker == f"ray:{doomed_id}" for line in read_results(run_dir / "results.jsonl")):
            assert time.monotonic() < deadline and driver.is_alive(), failure
            time.sleep(0.1)
        cluster.remove_node(doomed, allow_graceful=False)  # its problem in flight dies with it
        driver.join(timeout=400)
        assert not driver.is_alive() and not failure, failure
    finally:
        cluster.shutdown()
    lines = read_results(run_dir / "results.jsonl")
    names = [line.name for line in lines]
    assert sorted(names) == sorted(p.name for p in problems) and len(set(names)) == len(names)
    workers = {line.worker for line in lines}
    assert f"ray:{doomed_id}" in workers and len(workers) == 2
