"""`prover vscode init`: a new tasks.json, or a merge that keeps every byte the user wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.errors import InputError
from prover.lean.diagnostics import VSCODE_PATTERN
from prover.vscode.tasks import TASKS, init_tasks, parse_jsonc

LABELS = [task["label"] for task in TASKS]

USER_FILE = """// my build tasks
{
  "version": "2.0.0",
  /* keep this */
  "tasks": [
    {
      "label": "lake build", // the project
      "type": "shell",
      "command": "lake build",
    },
  ],
}
"""


def test_a_new_file_has_the_four_tasks_with_the_matcher(tmp_path: Path) -> None:
    result = init_tasks(tmp_path)
    assert result.created and list(result.added) == LABELS
    tasks = json.loads((tmp_path / ".vscode" / "tasks.json").read_text())["tasks"]
    assert [t["label"] for t in tasks] == LABELS
    assert all(t["problemMatcher"]["pattern"]["regexp"] == VSCODE_PATTERN for t in tasks)
    at_cursor = next(t for t in tasks if t["label"] == "prover: prove theorem at cursor")
    assert at_cursor["args"] == ["prove", "${file}", "--at", "${lineNumber}", "--format", "vscode"]


def test_merge_keeps_the_users_text_comments_and_trailing_commas(tmp_path: Path) -> None:
    path = tmp_path / ".vscode" / "tasks.json"
    path.parent.mkdir()
    path.write_text(USER_FILE)
    result = init_tasks(tmp_path)
    assert list(result.added) == LABELS and result.backup is not None
    merged = path.read_text()
    assert result.backup.read_text() == USER_FILE
    assert merged.startswith(USER_FILE[: USER_FILE.index('      "command": "lake build",')])
    assert "// the project" in merged and "/* keep this */" in merged
    document = parse_jsonc(merged, "tasks.json")
    assert [t["label"] for t in document["tasks"]] == ["lake build", *LABELS]
    again = init_tasks(tmp_path)  # idempotent
    assert again.added == () and list(again.kept) == LABELS and path.read_text() == merged


def test_a_users_own_version_of_a_task_is_kept(tmp_path: Path) -> None:
    path = tmp_path / ".vscode" / "tasks.json"
    path.parent.mkdir()
    mine = {"label": "prover: check current file", "type": "shell", "command": "echo mine"}
    path.write_text(json.dumps({"version": "2.0.0", "tasks": [mine]}))
    result = init_tasks(tmp_path)
    assert result.kept == ("prover: check current file",) and len(result.added) == 3
    tasks = json.loads(path.read_text())["tasks"]
    assert tasks[0] == mine and [t["label"] for t in tasks[1:]] == [
        lbl for lbl in LABELS if lbl != mine["label"]
    ]


@pytest.mark.parametrize("text", ['{"version": "2.0.0"}', "{}", '{"version": "2.0.0",}'])
def test_a_file_without_tasks_gets_the_array(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".vscode" / "tasks.json"
    path.parent.mkdir()
    path.write_text(text)
    init_tasks(tmp_path)
    assert [t["label"] for t in parse_jsonc(path.read_text(), "x")["tasks"]] == LABELS


@pytest.mark.parametrize("text", ["{ not json", "[1, 2]", '{"tasks": 3}'])
def test_unreadable_files_are_refused_and_left_alone(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".vscode" / "tasks.json"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(InputError, match=r"tasks\.json"):
        init_tasks(tmp_path)
    assert path.read_text() == text and not (path.parent / "tasks.json.bak").exists()


def test_the_repository_tasks_file_is_the_generated_one() -> None:
    repo = Path(__file__).resolve().parents[3]
    tasks = json.loads((repo / ".vscode" / "tasks.json").read_text())["tasks"]
    assert tasks == [json.loads(json.dumps(task)) for task in TASKS]
