"""``prover doctor``: one row per requirement, with the exact fix for each that fails."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlparse

from prover.settings import RoleSettings, Settings
from prover.types import Frozen

ELAN_INSTALL = (
    "curl https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -sSf | sh -s -- -y "
    "--default-toolchain none && source ~/.elan/env"
)


class CheckStatus(StrEnum):
    ok = "ok"
    missing = "missing"
    warn = "warn"
    off = "off"


class DoctorRow(Frozen):
    name: str
    status: CheckStatus
    detail: str
    fix: str = ""
    required: bool = True


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 10.0) -> str | None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or done.stderr).strip() if done.returncode == 0 else None


def _python_packages() -> list[DoctorRow]:
    rows = []
    required = [
        "z3",
        "openai",
        "httpx",
        "networkx",
        "typer",
        "pydantic",
        "rich",
        "bm25s",
    ]
    missing = [m for m in required if importlib.util.find_spec(m) is None]
    rows.append(
        DoctorRow(
            name="python packages (core)",
            status=CheckStatus.missing if missing else CheckStatus.ok,
            detail=", ".join(missing) if missing else "all present",
            fix="pip install -e ." if missing else "",
        )
    )
    optional = {
        "local": ["torch", "transformers", "sentence_transformers"],
        "dojo": ["lean_dojo"],
        "distributed": ["ray"],
    }
    for extra, modules in optional.items():
        absent = [m for m in modules if importlib.util.find_spec(m) is None]
        rows.append(
            DoctorRow(
                name=f"python extra [{extra}]",
                status=CheckStatus.warn if absent else CheckStatus.ok,
                detail=f"missing {', '.join(absent)}" if absent else "installed",
                fix=f"pip install -e '.[{extra}]'" if absent else "",
                required=False,
            )
        )
    return rows


def _toolchain_rows(settings: Settings) -> list[DoctorRow]:
    project = settings.lean.resolved_project_dir()
    wanted_file = project / "lean-toolchain"
    wanted = wanted_file.read_text().strip() if wanted_file.is_file() else "?"
    rows = []
    for tool in ("elan", "lean", "lake"):
        path = shutil.which(tool)
        version = _run([tool, "--version"]) if path else None
        rows.append(
            DoctorRow(
                name=tool,
                status=CheckStatus.ok if version else CheckStatus.missing,
                detail=version.splitlines()[0] if version else "not on PATH",
                fix=""
                if version
                else (
                    f"install elan: {ELAN_INSTALL}"
                    if tool == "elan"
                    else "installed with elan (see the elan fix)"
                ),
                required=settings.lean.backend == "repl",
            )
        )
    lean_ok = rows[1].status is CheckStatus.ok
    if lean_ok:
        in_project = _run(["lean", "--version"], cwd=project) or ""
        tag = wanted.split(":")[-1].lstrip("v")
        matches = tag in in_project
        rows.append(
            DoctorRow(
                name="Lean version",
                status=CheckStatus.ok if matches else CheckStatus.missing,
                detail=f"project wants {wanted}; got {in_project.splitlines()[0] if in_project else '?'}",
                fix="" if matches else f"cd {project} && elan toolchain install {wanted}",
            )
        )
    mathlib = project / ".lake" / "packages" / "mathlib" / ".lake" / "build"
    rows.append(
        DoctorRow(
            name="Mathlib built",
            status=CheckStatus.ok if mathlib.is_dir() else CheckStatus.missing,
            detail=str(mathlib) if mathlib.is_dir() else f"no build in {project}/.lake",
            fix="" if mathlib.is_dir() else f"cd {project} && lake exe cache get && lake build",
            required=settings.lean.backend == "repl",
        )
    )
    repl = project / ".lake" / "packages" / "REPL" / ".lake" / "build" / "bin" / "repl"
    custom = settings.lean.repl_command
    rows.append(
        DoctorRow(
            name="Lean REPL",
            status=CheckStatus.ok if (custom or repl.is_file()) else CheckStatus.missing,
            detail=" ".join(custom) if custom else (str(repl) if repl.is_file() else "REPL binary not built"),
            fix="" if (custom or repl.is_file()) else f"cd {project} && lake build REPL",
            required=settings.lean.backend == "repl",
        )
    )
    return rows


def _endpoint_row(role: str, cfg: RoleSettings, probe: Callable[[str], str | None]) -> DoctorRow:
    if cfg.provider == "none":
        return DoctorRow(name=f"LLM {role}", status=CheckStatus.off, detail="provider = none", required=False)
    if cfg.provider == "transformers":
        ok = importlib.util.find_spec("transformers") is not None
        return DoctorRow(
            name=f"LLM {role}",
            status=CheckStatus.ok if ok else CheckStatus.missing,
            detail=f"transformers model {cfg.model or '?'}",
            fix="" if ok else "pip install -e '.[local]'",
        )
    url = cfg.base_url or "https://api.openai.com/v1"
    problem = probe(url)
    key_missing = bool(cfg.api_key_env) and not os.environ.get(cfg.api_key_env or "")
    detail = f"{cfg.model or '?'} at {url}" + (f": {problem}" if problem else "")
    if key_missing:
        detail += f"; ${cfg.api_key_env} is not set"
    return DoctorRow(
        name=f"LLM {role}",
        status=CheckStatus.missing if (problem or key_missing) else CheckStatus.ok,
        detail=detail,
        fix=(f"start the server at {url} or fix llm.{role}.base_url" if problem else "")
        + (f"; export {cfg.api_key_env}=..." if key_missing else ""),
    )


def probe_endpoint(url: str, timeout: float = 2.0) -> str | None:
    """None when something answers HTTP at ``url`` within ``timeout``; otherwise why not."""
    import httpx

    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        return "not an http(s) URL"
    try:
        httpx.get(url.rstrip("/") + "/models", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})"
    return None


def _memory_row(settings: Settings) -> DoctorRow:
    import psutil

    need_mb = settings.lean.workers * settings.lean.memory_limit_mb
    have_mb = psutil.virtual_memory().available // (1024 * 1024)
    ok = have_mb >= need_mb
    return DoctorRow(
        name="memory",
        status=CheckStatus.ok if ok else CheckStatus.warn,
        detail=f"{have_mb} MB available; {settings.lean.workers} workers x {settings.lean.memory_limit_mb} MB"
        f" = {need_mb} MB",
        fix="" if ok else "lower lean.workers or lean.memory_limit_mb",
        required=False,
    )


def diagnose(settings: Settings, probe: Callable[[str], str | None] = probe_endpoint) -> list[DoctorRow]:
    rows = _python_packages()
    if settings.lean.backend == "repl":
        rows += _toolchain_rows(settings)
    elif settings.lean.backend == "kimina":
        problem = probe(settings.lean.kimina_url)
        rows.append(
            DoctorRow(
                name="Kimina server",
                status=CheckStatus.missing if problem else CheckStatus.ok,
                detail=settings.lean.kimina_url + (f": {problem}" if problem else ""),
                fix=f"start a Kimina Lean Server at {settings.lean.kimina_url}" if problem else "",
            )
        )
    else:
        rows += _toolchain_rows(settings)
    for role in ("reasoner", "prover", "step"):
        rows.append(_endpoint_row(role, getattr(settings.llm, role), probe))
    rows.append(_memory_row(settings))
    return rows


def all_required_ok(rows: list[DoctorRow]) -> bool:
    return all(r.status in {CheckStatus.ok, CheckStatus.off} or not r.required for r in rows)
