"""The published Kimina Lean Server (2.1.3) with the REPL double behind it: ``scripts/kimina_real_acceptance.py``.

Slow (about two minutes) and needs a one-time install from PyPI, so it runs only with ``-m slow`` and when
``bash scripts/kimina_real_server.sh setup DIR`` was run (DIR: ``PROVER_KIMINA_REAL_DIR`` or
``~/.cache/prover/kimina-real``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_published_server_gives_repl_positions_no_false_timeouts_and_official_client_parity() -> None:
    setup = Path(os.environ.get("PROVER_KIMINA_REAL_DIR", Path.home() / ".cache/prover/kimina-real"))
    if not (setup / "venv/bin/kimina-ast-server").exists():
        pytest.skip(f"run `bash scripts/kimina_real_server.sh setup {setup}` once (needs PyPI)")
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts/kimina_real_acceptance.py"), "--dir", str(setup)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "all checks hold" in done.stdout
