"""The real corpus builder: ask Lean for every theorem of the project's environment (``import Mathlib``).

Runs ``lake env lean --run lean_project/scripts/dump_premises.lean`` inside the configured Lake project and
writes its JSON lines to a file that ``retrieval.corpus`` loads like any other corpus.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from prover.errors import LeanUnavailable, RetrievalError
from prover.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

DUMP_SCRIPT = REPO_ROOT / "lean_project" / "scripts" / "dump_premises.lean"
DUMP_TIMEOUT_S = 3600.0  # importing Mathlib plus pretty-printing ~250k types; generous on purpose


def dump_command(lake: str, script: Path = DUMP_SCRIPT) -> list[str]:
    return [lake, "env", "lean", "--run", str(script)]


def dump_premises(settings: Settings, out_path: Path, *, timeout_s: float = DUMP_TIMEOUT_S) -> int:
    """Write the environment's theorems to ``out_path`` (JSONL); returns the number of lines written.

    Raises ``LeanUnavailable`` (exit 3) when ``lake`` or the Lake project is missing, ``RetrievalError`` when
    Lean fails or runs past ``timeout_s``.
    """
    lake = shutil.which("lake")
    project = settings.lean.resolved_project_dir()
    if lake is None:
        raise LeanUnavailable(
            "`lake` not found on PATH: install elan and build lean_project/ (see prover doctor)"
        )
    if not any((project / name).is_file() for name in ("lakefile.lean", "lakefile.toml")):
        raise LeanUnavailable("no Lake project here (lakefile missing)", where=str(project))
    if not DUMP_SCRIPT.is_file():
        raise RetrievalError("premise dump program missing", where=str(DUMP_SCRIPT))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_suffix(out_path.suffix + ".partial")
    command = dump_command(lake)
    log.info("dumping premises: %s (in %s)", " ".join(command), project)
    try:
        with partial.open("wb") as sink:
            completed = subprocess.run(
                command, cwd=project, stdout=sink, stderr=subprocess.PIPE, timeout=timeout_s, check=False
            )
    except subprocess.TimeoutExpired as exc:
        raise RetrievalError(f"premise dump ran past {timeout_s:.0f} s", where=str(project)) from exc
    except OSError as exc:
        raise LeanUnavailable(f"cannot run lake: {exc}", where=str(project)) from exc
    stderr = completed.stderr.decode("utf-8", "replace").strip()
    if completed.returncode != 0:
        last = stderr.splitlines()[-1] if stderr else "no output"
        raise RetrievalError(f"premise dump failed (exit {completed.returncode}): {last}", where=str(project))
    if stderr:
        log.info("premise dump: %s", stderr.splitlines()[-1])
    # Sorted lines make the file, hence its hash and the index key, independent of hash-map order.
    lines = sorted(line for line in partial.read_text(encoding="utf-8").splitlines() if line.strip())
    out_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    partial.unlink()
    return len(lines)
