from __future__ import annotations

from pathlib import Path

import pytest

from prover.lean.certify import Certification, certify, parse_axioms
from prover.lean.repl import ReplBackend
from prover.settings import LeanSettings
from prover.types import Verdict
from tests.fakes.repl_script import Script, error, info, requests

FILE = "import Mathlib\nopen Real\n\ntheorem good : (2 : ℝ) + 2 = 4 := by\n  norm_num\n\ntheorem other : True := trivial\n"


def test_parse_axioms_reads_both_answers_and_quotings() -> None:
    assert parse_axioms("'foo' depends on axioms: [propext, Classical.choice, Quot.sound]") == (
        "propext",
        "Classical.choice",
        "Quot.sound",
    )
    assert parse_axioms("`foo` depends on axioms: [sorryAx]") == ("sorryAx",)
    assert parse_axioms("'foo' does not depend on any axioms") == ()
    assert parse_axioms("foo : Nat") is None


def _axioms_rule(script: Script, name: str, answer: str) -> None:
    script.on_cmd(rf"#print axioms {name}\b", messages=[info(answer, at=f"#print axioms {name}")])


async def _certify(script: Script, tmp_path: Path, text: str, names: list[str]) -> Certification:
    backend = ReplBackend(LeanSettings(workers=1), command=script.command(tmp_path))
    try:
        return await certify(backend, text, names)
    finally:
        await backend.close()


async def test_valid_file_with_standard_axioms_is_certified_in_a_fresh_environment(tmp_path: Path) -> None:
    cert = await _certify(Script(), tmp_path, FILE, ["good", "other"])
    assert cert.ok and cert.problems == ()
    assert cert.check.verdict is Verdict.valid
    assert cert.axioms == {"good": ("propext",), "other": ("propext",)}
    sent = requests(tmp_path)
    assert sent == [{"cmd": FILE + "#print axioms good\n#print axioms other\n"}]  # one fresh request, no env


@pytest.mark.parametrize("bad_axiom", ["sorryAx", "Lean.ofReduceBool", "my_axiom"])
async def test_axioms_beyond_the_standard_three_reject(bad_axiom: str, tmp_path: Path) -> None:
    script = Script()
    _axioms_rule(script, "good", f"'good' depends on axioms: [propext, {bad_axiom}]")
    cert = await _certify(script, tmp_path, FILE, ["good"])
    assert not cert.ok
    assert cert.axioms["good"] == ("propext", bad_axiom)
    assert cert.problems == (f"good depends on {bad_axiom}",)


async def test_file_errors_and_unknown_theorems_reject(tmp_path: Path) -> None:
    script = Script().on_cmd(
        "norm_num",
        messages=[
            error("unsolved goals", at="norm_num"),
            error("unknown constant 'missing'", at="#print axioms missing"),
        ],
    )
    cert = await _certify(script, tmp_path, FILE, ["missing"])
    assert not cert.ok
    assert cert.check.verdict is Verdict.lean_error
    assert [m.text for m in cert.check.messages] == ["unsolved goals"]
    assert cert.problems[0].startswith("file check: lean_error: unsolved goals")
    assert "missing: #print axioms failed" in cert.problems[1]


async def test_a_hidden_sorry_in_the_file_rejects(tmp_path: Path) -> None:
    text = FILE.replace("norm_num", "sorry")
    cert = await _certify(Script(), tmp_path, text, ["good"])
    assert not cert.ok
    assert cert.check.verdict is Verdict.sorry


async def test_names_that_are_not_declarations_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not Lean declaration names"):
        await _certify(Script(), tmp_path, FILE, ["good\n#eval 1"])
