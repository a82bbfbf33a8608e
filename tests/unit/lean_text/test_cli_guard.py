import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app

ORIGINAL = "import Mathlib\n\ntheorem t (n : ℕ) (h : 2 < n) : 4 < n ^ 2 := by\n  sorry\n"
GOOD = "import Mathlib\n\ntheorem t (n : ℕ) (h : 2 < n) : 4 < n ^ 2 := by\n  nlinarith\n"
NATIVE = "import Mathlib\n\ntheorem t (n : ℕ) (h : 2 < n) : 4 < n ^ 2 := by\n  native_decide\n"
CHANGED = "import Mathlib\n\ntheorem t (n : ℕ) (h : 3 < n) : 4 < n ^ 2 := by\n  nlinarith\n"


def run(
    tmp_path: Path, final: str, *extra: str, original: str = ORIGINAL, suffix: str = ".lean"
) -> tuple[int, str]:
    final_path = tmp_path / "final.lean"
    final_path.write_text(final, encoding="utf-8")
    original_path = tmp_path / f"original{suffix}"
    original_path.write_text(original, encoding="utf-8")
    result = CliRunner().invoke(app, ["guard", str(final_path), "--original", str(original_path), *extra])
    return result.exit_code, result.output


def test_clean_file_exits_0(tmp_path: Path) -> None:
    code, output = run(tmp_path, GOOD)
    assert code == 0, output
    assert "ok" in output


def test_findings_print_file_line_col_and_exit_1(tmp_path: Path) -> None:
    code, output = run(tmp_path, NATIVE)
    assert code == 1
    assert f"{tmp_path / 'final.lean'}:4:3: error: `native_decide`" in output


def test_allow_native_decide(tmp_path: Path) -> None:
    code, output = run(tmp_path, NATIVE, "--allow", "native_decide")
    assert code == 0, output


def test_changed_statement_exit_1(tmp_path: Path) -> None:
    code, output = run(tmp_path, CHANGED)
    assert code == 1
    assert ":3:" in output and "binders differ" in output


def test_dataset_original(tmp_path: Path) -> None:
    rows = [
        {
            "name": "t",
            "formal_statement": ORIGINAL.split("\n\n", 1)[1].replace("  sorry\n", ""),
            "header": "import Mathlib\n",
        },
        {"name": "other", "formal_statement": "theorem other : True := by\n", "header": "import Mathlib\n"},
    ]
    dataset = "\n".join(json.dumps(row) for row in rows) + "\n"
    assert run(tmp_path, GOOD, original=dataset, suffix=".jsonl")[0] == 0
    assert run(tmp_path, CHANGED, original=dataset, suffix=".jsonl")[0] == 1
    code, output = run(tmp_path, "theorem unrelated : True := trivial\n", original=dataset, suffix=".jsonl")
    assert code == 1 and "declares no theorem" in output


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert run(tmp_path, GOOD, "--allow", "everything")[0] == 2
    assert run(tmp_path, GOOD, original="{not json", suffix=".jsonl")[0] == 2
    assert run(tmp_path, GOOD, original="-- no theorem here\n")[0] == 2
    missing = CliRunner().invoke(
        app, ["guard", str(tmp_path / "absent.lean"), "--original", str(tmp_path / "x")]
    )
    assert missing.exit_code == 2
