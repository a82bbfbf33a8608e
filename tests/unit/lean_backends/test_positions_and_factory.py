"""Position conversions (Kimina header lines, editor columns), file reading and the backend factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.errors import LeanSourceError
from prover.lean.check_file import explain
from prover.lean.dojo import DojoBackend
from prover.lean.factory import open_backend
from prover.lean.kimina import KiminaBackend
from prover.lean.positions import ColumnUnit, editor_column, kimina_header_line_count
from prover.lean.repl import ReplBackend
from prover.lean.source import read_lean_file
from prover.settings import LeanSettings
from prover.types import CheckResult, Message, Pos, Severity, Verdict


@pytest.mark.parametrize(
    ("code", "lines"),
    [
        ("import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n", 3),
        ("\n\nimport Mathlib\n  import Aesop  \ntheorem t : True := trivial", 4),
        ("theorem t : True := trivial", 0),
        ("import Mathlib", 1),
        ("-- a comment first\nimport Mathlib\n", 0),  # the server stops at the first other line
        ("import Mathlib\r\n\r\ntheorem t : True := trivial", 2),
    ],
)
def test_kimina_header_lines_follow_the_servers_split(code: str, lines: int) -> None:
    assert kimina_header_line_count(code) == lines


def test_editor_columns_count_from_one_in_code_points_or_utf16() -> None:
    line = "  have h𝓝 := x"
    column = line.index(":=")
    assert editor_column(line, column, ColumnUnit.code_point) == column + 1
    assert editor_column(line, column, ColumnUnit.utf16) == column + 2  # 𝓝 is a surrogate pair
    assert editor_column(line, 0, ColumnUnit.utf16) == 1
    assert editor_column("ab", 4, ColumnUnit.utf16) == 5  # past the end of the line: kept


def test_read_strips_the_byte_order_mark_and_carriage_returns(tmp_path: Path) -> None:
    path = tmp_path / "W.lean"
    path.write_bytes("\ufefftheorem t : True := by\r\n  trivial\r\n".encode())
    assert read_lean_file(path) == "theorem t : True := by\n  trivial\n"


def test_read_names_the_line_of_a_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "B.lean"
    path.write_bytes(b"-- ok\n-- caf\xe9\n")
    with pytest.raises(LeanSourceError) as caught:
        read_lean_file(path)
    assert caught.value.where == f"{path}:2" and caught.value.exit_code == 2


def test_an_unfinished_check_is_explained_once() -> None:
    note = explain(CheckResult(verdict=Verdict.timeout))
    assert [(m.severity, m.pos, m.text.split(":")[0]) for m in note] == [
        (Severity.error, Pos(line=1, column=0), "timeout")
    ]
    told = Message(severity=Severity.error, pos=Pos(line=1, column=0), text="timeout: no answer within 1 s")
    assert explain(CheckResult(verdict=Verdict.timeout, messages=(told,))) == (told,)
    assert explain(CheckResult(verdict=Verdict.valid)) == ()


@pytest.mark.parametrize(
    ("name", "kind"), [("repl", ReplBackend), ("kimina", KiminaBackend), ("dojo", DojoBackend)]
)
async def test_factory_opens_the_configured_backend(name: str, kind: type) -> None:
    backend = open_backend(LeanSettings(backend=name))  # type: ignore[arg-type]
    assert isinstance(backend, kind)
    await backend.close()
