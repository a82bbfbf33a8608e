"""Build a scripted REPL double for a test in three lines.

    script = Script(profile="head").on_cmd(r"nlinarith", messages=[error("linarith failed", at="nlinarith")])
    script.on_tactic(r"^norm_num$", goals=[])
    backend = ReplBackend(LeanSettings(workers=1), command=script.command(tmp_path))

``command(tmp_path)`` writes ``rules.json`` in ``tmp_path`` and returns the argv that starts the double
(``python tests/fakes/repl_double.py --mode scripted --rules ... --log ...``); ``requests(tmp_path)`` then
reads back every request that reached "Lean". Unmatched commands get the double's default (each ``sorry`` is
reported with ``default_goal``); unmatched tactics close the goal unless ``default_tactic`` says otherwise.
Faults: ``Script(fault="hang", fault_match="HANG")`` or ``on_cmd(regex, fault="segv")``.
See ``tests/fakes/repl_double.py`` for the protocol details and the rules format.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOUBLE = Path(__file__).resolve().parent / "repl_double.py"
# The double needs only the standard library; ``-S`` skips site-packages and halves its start-up time.


def error(data: str, *, at: str | None = None, pos: tuple[int, int] | None = None) -> dict[str, Any]:
    return _message("error", data, at, pos)


def warning(data: str, *, at: str | None = None, pos: tuple[int, int] | None = None) -> dict[str, Any]:
    return _message("warning", data, at, pos)


def info(data: str, *, at: str | None = None, pos: tuple[int, int] | None = None) -> dict[str, Any]:
    return _message("info", data, at, pos)


def _message(severity: str, data: str, at: str | None, pos: tuple[int, int] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"severity": severity, "data": data}
    if at is not None:
        spec["at"] = at
    if pos is not None:
        spec["pos"] = list(pos)
        spec["endPos"] = list(pos)
    return spec


@dataclass
class Script:
    profile: str = "head"
    default_goal: str = "⊢ True"
    default_tactic: dict[str, Any] = field(default_factory=lambda: {"goals": []})
    fault: str | None = None
    fault_match: str = ""
    fault_after: int = 0
    import_delay: float = 0.0
    delay: float = 0.0
    rules: list[dict[str, Any]] = field(default_factory=list)

    def on_cmd(
        self,
        regex: str,
        *,
        messages: list[dict[str, Any]] | None = None,
        sorries: list[dict[str, Any]] | None = None,
        delay: float = 0.0,
        fault: str | None = None,
    ) -> Script:
        rule: dict[str, Any] = {"cmd": regex, "messages": messages or [], "sorries": sorries or []}
        if delay:
            rule["delay"] = delay
        if fault:
            rule["fault"] = fault
        self.rules.append(rule)
        return self

    def on_sketch(
        self,
        regex: str,
        goals: list[str],
        *,
        messages: list[dict[str, Any]] | None = None,
        delay: float = 0.0,
    ) -> Script:
        """Commands matching ``regex``: every ``sorry`` reported in place, the i-th with ``goals[i]``."""
        rule: dict[str, Any] = {"cmd": regex, "sorry_goals": list(goals), "messages": messages or []}
        if delay:
            rule["delay"] = delay
        self.rules.append(rule)
        return self

    def on_tactic(
        self,
        regex: str,
        *,
        goals: list[str] | None = None,
        error: str | None = None,
        messages: list[dict[str, Any]] | None = None,
        sorries: list[str] | None = None,
        delay: float = 0.0,
        fault: str | None = None,
    ) -> Script:
        rule: dict[str, Any] = {"tactic": regex, "goals": goals or [], "messages": messages or []}
        rule["sorries"] = [{"goal": g} for g in sorries or []]
        if error is not None:
            rule["error"] = error
        if delay:
            rule["delay"] = delay
        if fault:
            rule["fault"] = fault
        self.rules.append(rule)
        return self

    def command(self, workdir: Path) -> list[str]:
        rules = workdir / "rules.json"
        rules.write_text(
            json.dumps(
                {
                    "profile": self.profile,
                    "default_goal": self.default_goal,
                    "default_tactic": self.default_tactic,
                    "rules": self.rules,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        argv = [sys.executable, "-S", str(DOUBLE), "--mode", "scripted", "--rules", str(rules)]
        argv += ["--log", str(workdir / "requests.jsonl")]
        if self.fault:
            argv += ["--fault", self.fault, "--fault-match", self.fault_match]
            argv += ["--fault-after", str(self.fault_after)]
        if self.import_delay:
            argv += ["--import-delay", str(self.import_delay)]
        if self.delay:
            argv += ["--delay", str(self.delay)]
        return argv


def requests(workdir: Path) -> list[dict[str, Any]]:
    """Every request that reached a double started by ``Script.command(workdir)``, in arrival order."""
    log = workdir / "requests.jsonl"
    if not log.exists():
        return []
    return [json.loads(line)["request"] for line in log.read_text(encoding="utf-8").splitlines() if line]


def replay_command(transcript: Path, **faults: Any) -> list[str]:
    """The argv of a double replaying ``transcript`` (an ``.in`` file)."""
    argv = [sys.executable, "-S", str(DOUBLE), "--mode", "replay", "--transcript", str(transcript)]
    for key, value in faults.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return argv
