import json
from pathlib import Path

import pytest

from prover.data.minif2f import load_problems, load_published_proofs
from prover.errors import InputError


def write(tmp_path: Path, rows: list[object], name: str = "d.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_schemas_are_detected(tmp_path: Path) -> None:
    rows = [
        {
            "name": "a",
            "split": "test",
            "formal_statement": "theorem a : True := by\n",
            "header": "import Mathlib\n",
        },
        {"name": "b", "formal_statement": "import Mathlib\nopen Real\n\ntheorem b : True := by\n"},
        {"name": "c", "lean_file": "import Mathlib\n\ntheorem c : True := by sorry"},
        {
            "id": "formal_1",
            "name": "d",
            "formal": "theorem formal_1 : True := by\n  sorry",
            "natural": "Easy.",
        },
        {
            "id": "Artin|exercise_1",
            "lean4_formalization": "theorem exercise_1 : True :=",
            "lean4_src_header": "import Mathlib\n",
        },
        {"name": "f", "formal_stmt": "theorem f : True := by\n", "header": "import Mathlib"},
    ]
    problems = load_problems(write(tmp_path, rows))
    assert [p.name for p in problems] == ["a", "b", "c", "d", "exercise_1", "f"]
    assert problems[1].header == "import Mathlib\nopen Real\n\n"
    assert problems[1].formal_statement == "theorem b : True := by\n"
    assert problems[2].header + problems[2].formal_statement == rows[2]["lean_file"]
    assert problems[3].informal_statement == "Easy."
    assert problems[0].split == "test" and problems[0].source == "d"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"name": "a"}\n', "no known dataset schema"),
        ('{"name": "a", "formal_statement": ""}\n', "non-empty"),
        ("[1, 2]\n", "JSON object"),
        ('{"name": "a", "formal_statement": "theorem a : True := by"}\n{oops\n', "not JSON"),
        ('{"name": "a", "proof": "theorem a : True := trivial"}\n', "file of proofs"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_problems(path)
    assert caught.value.where is not None and caught.value.where.startswith(f"{path}:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_problems(tmp_path / "absent.jsonl")


def test_published_proofs(tmp_path: Path) -> None:
    path = write(tmp_path, [{"name": "a", "split": "test", "proof": "theorem a : True := trivial"}])
    (proof,) = load_published_proofs(path)
    assert (proof.name, proof.split, proof.line) == ("a", "test", 1)
    with pytest.raises(InputError, match="'proof'"):
        load_published_proofs(write(tmp_path, [{"name": "a"}], "p.jsonl"))
