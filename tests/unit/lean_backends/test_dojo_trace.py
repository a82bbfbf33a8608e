"""Tracing as a killable child process, and the real ``lean_dojo`` 4.20 on a local repository without Lean.

The last tests run the real package (skipped when the ``dojo`` extra is not installed) in subprocesses with a
private ``CACHE_DIR``/``HOME``: LeanDojo reads its environment once, at import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from prover.errors import ConfigError, LeanUnavailable, ProtocolError
from prover.lean.dojo import DojoRepo
from prover.lean.dojo_trace import trace_repository

REPO = Path(__file__).resolve().parents[3]
SPEC = DojoRepo(url="/srv/repo", commit="abc")


def child(script: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(script)]


async def test_a_finished_trace_answers_its_path_and_relays_progress() -> None:
    lines: list[str] = []
    script = """
        import json, sys
        print("Tracing LeanGitRepo(url='/srv/repo')", file=sys.stderr, flush=True)
        print(json.dumps({"path": "/cache/repo"}))
    """
    path = await trace_repository(SPEC, progress=lines.append, command=child(script))
    assert path == Path("/cache/repo")
    assert lines == ["Tracing LeanGitRepo(url='/srv/repo')"]


@pytest.mark.parametrize(
    ("name", "error"), [("LeanUnavailable", LeanUnavailable), ("ConfigError", ConfigError)]
)
async def test_the_childs_error_is_raised_again_as_the_same_class(name: str, error: type[Exception]) -> None:
    answer = {"error": name, "message": "tracing /srv/repo@abc: Lean not found", "where": None}
    script = f"import json, sys; print(json.dumps({answer!r})); sys.exit(1)"
    with pytest.raises(error, match="Lean not found"):
        await trace_repository(SPEC, command=child(script))


async def test_a_child_that_dies_without_an_answer_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="exited with -9 without an answer"):
        await trace_repository(SPEC, command=child("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))


async def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    """The child starts a grandchild (as LeanDojo starts lake and lean); both are gone after the timeout."""
    pids = tmp_path / "pids"
    script = f"""
        import os, subprocess, sys, time
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{grandchild.pid}}")
        time.sleep(600)
    """
    with pytest.raises(LeanUnavailable, match=r"did not finish within 2 s.*run `prover dojo trace` again"):
        await trace_repository(SPEC, timeout_s=2, command=child(script))
    grandchild = int(pids.read_text().split()[1])
    assert gone(grandchild)


def gone(pid: int) -> bool:
    """Whether ``pid`` is dead (or a zombie left to init), waiting up to 10 s for SIGKILL to land."""
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text().split()[2] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------------- the real package, no Lean here
@pytest.fixture
def local_lean_repo(tmp_path: Path) -> str:
    """A Lean 4 project in a local git repository: ``PATH@COMMIT``."""
    pytest.importorskip("lean_dojo")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "demo"
    repo.mkdir()
    (repo / "lean-toolchain").write_text("leanprover/lean4:v4.15.0\n")
    (repo / "lakefile.lean").write_text(
        "import Lake\nopen Lake DSL\npackage demo\n@[default_target] lean_lib Demo\n"
    )
    (repo / "Demo.lean").write_text("theorem t : True := trivial\n")
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "demo"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout
    return f"{repo}@{commit.strip()}"


def without_lean(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No lake/lean on PATH, a private LeanDojo cache and home."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISABLE_REMOTE_CACHE", "GITHUB_ACCESS_TOKEN")}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("git", "sh"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**env, "PATH": str(bin_dir), "CACHE_DIR": str(tmp_path / "cache"), "HOME": str(home), **extra}


def prover(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "cli.py"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )


def assert_one_line_exit_3(done: subprocess.CompletedProcess[str], says: str) -> None:
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and says in errors[0], done.stderr


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({}, "set DISABLE_REMOTE_CACHE=1 when offline"),  # LeanDojo probes its remote cache first
        ({"DISABLE_REMOTE_CACHE": "1"}, "is not traced yet: run `prover dojo trace"),
    ],
)
def test_cli_dojo_start_on_an_untraceable_local_repository(
    local_lean_repo: str, tmp_path: Path, extra: dict[str, str], says: str
) -> None:
    done = prover(
        ["dojo", "start", local_lean_repo, "Demo.lean", "--theorem", "t"],
        without_lean(tmp_path, **extra),
        tmp_path,
    )
    if not extra and "not traced yet" in done.stderr:
        pytest.skip("this machine reaches LeanDojo's remote cache: the offline case cannot happen here")
    assert_one_line_exit_3(done, says)


def test_cli_dojo_trace_without_lean_is_one_line_and_exit_3(local_lean_repo: str, tmp_path: Path) -> None:
    env = without_lean(tmp_path, DISABLE_REMOTE_CACHE="1")
    done = prover(["dojo", "trace", local_lean_repo], env, tmp_path)
    assert_one_line_exit_3(done, "`lake build` failed: Lean not found; run `prover doctor` for the fix")


def test_backend_start_on_an_untraceable_local_repository_raises_the_projects_error(
    local_lean_repo: str, tmp_path: Path
) -> None:
    url, commit = local_lean_repo.rsplit("@", 1)
    script = f"""
        import asyncio, json
        from prover.errors import ProverError
        from prover.lean.dojo import DojoBackend, DojoTheorem
        from prover.settings import LeanSettings
        theorem = DojoTheorem(repo_url={url!r}, commit={commit!r}, file_path="Demo.lean", full_name="t")
        try:
            asyncio.run(DojoBackend(LeanSettings(backend="dojo")).start(theorem))
        except ProverError as error:
            print(json.dumps({{"class": type(error).__name__, "exit": error.exit_code, "message": str(error)}}))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**without_lean(tmp_path, DISABLE_REMOTE_CACHE="1"), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert "Traceback" not in done.stderr, done.stderr
    raised = json.loads(done.stdout.strip().splitlines()[-1])
    assert raised["class"] == "LeanUnavailable" and raised["exit"] == 3
    assert "not traced yet" in raised["message"]


def test_cli_dojo_prove_on_an_untraced_local_repository(local_lean_repo: str, tmp_path: Path) -> None:
    env = without_lean(tmp_path, DISABLE_REMOTE_CACHE="1")
    done = prover(["dojo", "prove", local_lean_repo, "Demo.lean", "--theorem", "t"], env, tmp_path)
    assert_one_line_exit_3(done, "is not traced yet: run `prover dojo trace")
