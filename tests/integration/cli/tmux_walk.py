"""A scripted walk through the CLI in a real 80x50 terminal (tmux): prove, doctor, config show, audit.

``python -m tests.integration.cli.tmux_walk DIR`` runs the walk and writes one screen per step into DIR
(the checked-in screens are in ``tests/integration/cli/screens/``); ``test_tmux_walk.py`` (marked ``slow``)
runs it and asserts on the screens. Lean is the scripted REPL double: nothing here was checked by Lean.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.integration.cli.conftest import REPO, TWO_THEOREMS, two_theorem_script, write_config

WIDTH, HEIGHT = 80, 50
SOCKET = "prover-walk"
DATASET = REPO.parent / "shared" / "datasets" / "minif2f" / "dspplus_minif2f.jsonl"
DATASET_ROWS = 25
STEPS = {
    "prove": "prover prove two.lean",
    "doctor": "prover doctor",
    "config_show": "prover config show",
    "audit": "PROVER_SMT__ENABLED=true prover audit dataset.jsonl",
}


def _tmux(*args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


def prepare(workdir: Path) -> None:
    """The files of the walk: a Lean file, prover.toml naming the REPL double, a small dataset."""
    (workdir / "two.lean").write_text(TWO_THEOREMS, encoding="utf-8")
    write_config(workdir, two_theorem_script().command(workdir))
    if DATASET.is_file():
        rows = DATASET.read_text(encoding="utf-8").splitlines()[:DATASET_ROWS]
    else:  # the statements a user would audit, when ../shared is absent
        rows = [
            json.dumps(
                {
                    "name": f"p{n}",
                    "split": "test",
                    "formal_statement": f"theorem p{n} (x : ℕ) (h : x > {n}) : x - {n} + {n} = x := by\n",
                }
            )
            for n in range(DATASET_ROWS)
        ]
    (workdir / "dataset.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


def run_step(command: str, timeout: float = 180.0) -> str:
    """Run ``command`` in the pane, wait for it to finish, return the screen as a person sees it."""
    _tmux("send-keys", "-t", "walk", "clear; tmux -L " + SOCKET + " clear-history", "Enter")
    time.sleep(0.3)
    marker = "__walk_done__"
    _tmux("send-keys", "-t", "walk", f"{command}; echo {marker} $?", "Enter")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-J", "-t", "walk", "-S", "-", "-E", "-")
        if any(line.startswith(marker) for line in screen.splitlines()):
            lines = screen.rstrip("\n").splitlines()
            return "\n".join(line.rstrip() for line in lines) + "\n"
        time.sleep(0.2)
    raise TimeoutError(f"{command} did not finish within {timeout:.0f} s")


def walk(workdir: Path) -> dict[str, str]:
    """Every step's screen, by step name. Needs tmux."""
    prepare(workdir)
    prover = f"{shlex.quote(sys.executable)} -c 'import cli; cli.main()'"
    shell = (
        f"env -i HOME={shlex.quote(str(workdir))} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 "
        f"PYTHONPATH={shlex.quote(str(REPO))} bash --norc --noprofile"
    )
    _tmux("new-session", "-d", "-s", "walk", "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(workdir), shell)
    try:
        _tmux("send-keys", "-t", "walk", f"PS1='$ '; prover() {{ {prover} \"$@\"; }}", "Enter")
        return {name: run_step(command) for name, command in STEPS.items()}
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True, check=False, timeout=30)


def main(argv: list[str]) -> None:
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed (apt-get install -y tmux)")
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "screens"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="prover-walk-", ignore_cleanup_errors=True) as folder:
        screens = walk(Path(folder))
        for name, screen in screens.items():
            (out / f"{name}.txt").write_text(screen.replace(folder, "$WORKDIR"), encoding="utf-8")
    sys.stdout.write(f"wrote {len(screens)} screens to {out}\n")


if __name__ == "__main__":
    main(sys.argv)
