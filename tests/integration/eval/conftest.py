"""An eval run as a user starts it: a prover.toml naming the scripted REPL double and the fake OpenAI server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.repl_script import Script
from tests.integration.search.conftest import MiniF2F, accept, rejecting
from tests.integration.search.conftest import minif2f as minif2f  # the fixture, for these tests

# What "Lean" (the double) accepts in this scenario; everything else fails like a real tactic failure.
DIRECT_NAME = "imo_1984_p2"
DIRECT_PROOF = "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b), mul_pos ha hb]"


def eval_script(delay: float = 0.0) -> Script:
    script = Script(default_tactic={"error": "tactic failed"})
    script.delay = delay
    script.on_cmd(r"theorem mathd_\w+.*:= by\n  norm_num(\s|$)", messages=accept("x"))
    script.on_cmd(r"theorem induction_\w+.*:= by\n  nlinarith(\s|$)", messages=accept("x"))
    script.on_cmd(r"mul_pos ha hb\]", messages=accept(DIRECT_NAME))
    return rejecting(script)


@pytest.fixture
def fake_llm(minif2f: MiniF2F) -> Iterator[FakeOpenAI]:
    """Answers the direct prompt of DIRECT_NAME with a proof the double accepts; anything else is no proof."""
    answer = f"```lean4\n{minif2f.statement(DIRECT_NAME)} := by\n  {DIRECT_PROOF}\n```"
    with FakeOpenAI(model="fake-prover", default_answer="I cannot help.") as fake:
        fake.script(rf"theorem {DIRECT_NAME}\b", [answer])
        yield fake


def write_config(workdir: Path, script: Script, llm: FakeOpenAI, *, workers: int = 2) -> None:
    command = ", ".join(json.dumps(part) for part in script.command(workdir))
    (workdir / "prover.toml").write_text(
        f"""cache_dir = {json.dumps(str(workdir / "cache"))}

[lean]
workers = 2
timeout_s = 20.0
repl_command = [{command}]

[llm]
cache = false

[llm.prover]
provider = "openai"
base_url = "{llm.base_url}"
model = "fake-prover"
n = 1
max_retries = 0
timeout_s = 10

[search]
cascade_tactics = ["norm_num", "linarith", "nlinarith"]
step_max_expansions = 2
direct_samples = 1
max_llm_calls = 2
lemma_cache = false

[smt]
enabled = false

[eval]
workers = {workers}
""",
        encoding="utf-8",
    )


def prover(workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_prover(workdir: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def result_names(run_dir: Path) -> list[str]:
    path = run_dir / "results.jsonl"
    if not path.is_file():
        return []
    return [
        json.loads(line)["name"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
