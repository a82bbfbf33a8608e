"""Helpers for end-to-end search tests: miniF2F statements, the scripted REPL double, the fake OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prover.settings import Settings
from tests.fakes.repl_script import Script, error, info

# Every candidate proof the double does not accept explicitly fails like a real tactic failure would.
REJECT_ANY_PROOF = r":= by\n  (?!sorry\b)"


class MiniF2F:
    def __init__(self, datasets_dir: Path) -> None:
        path = datasets_dir / "minif2f" / "dspplus_minif2f.jsonl"
        self.rows = {
            row["name"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        }

    def statement(self, name: str) -> str:
        """The formal statement without ``:= by`` (what a Goal's statement is)."""
        text: str = self.rows[name]["formal_statement"]
        return text.rstrip().removesuffix(":= by").rstrip()

    def header(self, name: str) -> str:
        header: str = self.rows[name]["header"]
        return header

    def file(self, *names: str) -> str:
        """A Lean file with the given problems, each proved by ``sorry`` (one header)."""
        parts = [self.header(names[0]).rstrip(), ""]
        for name in names:
            parts.append(f"{self.statement(name)} := by\n  sorry\n")
        return "\n".join(parts)


@pytest.fixture(scope="session")
def minif2f(datasets_dir: Path) -> MiniF2F:
    return MiniF2F(datasets_dir)


def accept(name: str, axioms: str = "propext, Classical.choice, Quot.sound") -> list[dict[str, Any]]:
    """Messages of an accepted command; on a certification request they answer its ``#print axioms``."""
    return [info(f"'{name}' depends on axioms: [{axioms}]", at="#print axioms")]


def rejecting(script: Script) -> Script:
    """Add the catch-all rule (last, so explicit rules win): every other proof fails."""
    return script.on_cmd(REJECT_ANY_PROOF, messages=[error("linarith failed to find a contradiction")])


def make_settings(tmp_path: Path, *, workers: int = 2, smt: bool = False, **search: Any) -> Settings:
    return Settings(
        lean={"workers": workers, "timeout_s": 20.0},
        search={"cascade_tactics": ["norm_num", "linarith", "nlinarith"], "step_max_expansions": 4, **search},
        smt={"enabled": smt},
        cache_dir=tmp_path / "cache",
    )
