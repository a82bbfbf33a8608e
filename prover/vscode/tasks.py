"""``prover vscode init [DIR]``: the prover tasks in a Lean project's ``.vscode/tasks.json``.

Merging never loses what the user wrote: an existing file is edited as text, the missing tasks are inserted
at the end of its ``"tasks"`` array, and everything else (other tasks, comments, trailing commas, layout)
stays byte for byte; a task whose label exists already is left as the user has it. ``tasks.json`` is JSON
with comments (JSONC): comments and trailing commas are understood. A file that is not JSONC, or whose
top level is not an object, is refused (InputError) and left untouched; the previous file is kept as
``tasks.json.bak``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prover.errors import InputError
from prover.lean.diagnostics import VSCODE_PATTERN
from prover.search.output import write_atomic

PROBLEM_MATCHER: dict[str, Any] = {
    "owner": "prover",
    "source": "lean (prover)",
    "fileLocation": ["autoDetect", "${workspaceFolder}"],
    "pattern": {
        "regexp": VSCODE_PATTERN,
        "file": 1,
        "line": 2,
        "column": 3,
        "endLine": 4,
        "endColumn": 5,
        "severity": 6,
        "message": 7,
    },
}


def _task(label: str, args: list[str], group: str, reveal: str) -> dict[str, Any]:
    return {
        "label": label,
        "type": "shell",
        "command": "prover",
        "args": [*args, "--format", "vscode"],
        "group": group,
        "presentation": {"reveal": reveal, "clear": True},
        "problemMatcher": PROBLEM_MATCHER,
    }


TASKS: tuple[dict[str, Any], ...] = (
    _task("prover: prove current file", ["prove", "${file}"], "build", "always"),
    _task(
        "prover: prove theorem at cursor", ["prove", "${file}", "--at", "${lineNumber}"], "build", "always"
    ),
    _task("prover: check current file", ["check", "${file}"], "test", "silent"),
    _task("prover: audit current file", ["audit", "${file}"], "test", "silent"),
)


@dataclass(frozen=True)
class InitResult:
    path: Path
    added: tuple[str, ...]
    kept: tuple[str, ...]  # our labels the file already had (left as they are)
    created: bool
    backup: Path | None


def tasks_document() -> str:
    return json.dumps({"version": "2.0.0", "tasks": list(TASKS)}, indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------------------- JSONC scanning
@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str  # one of {}[],: or a whole string literal or another bare word


def _tokens(text: str, where: str) -> list[_Token]:
    """Significant tokens of JSONC text (comments and whitespace dropped)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n\ufeff":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise InputError("unterminated /* comment", where=where)
            i = end + 2
        elif ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise InputError("unterminated string", where=where)
            tokens.append(_Token(i, j + 1, text[i : j + 1]))
            i = j + 1
        elif ch in "{}[],:":
            tokens.append(_Token(i, i + 1, ch))
            i += 1
        else:
            j = i
            while j < n and text[j] not in ' \t\r\n{}[],:"/':
                j += 1
            tokens.append(_Token(i, max(j, i + 1), text[i : max(j, i + 1)]))
            i = max(j, i + 1)
    return tokens


def parse_jsonc(text: str, where: str) -> Any:
    """JSON with comments and trailing commas → Python value; InputError naming ``where`` otherwise."""
    tokens = _tokens(text, where)
    cleaned = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1].text if index + 1 < len(tokens) else ""
        if token.text == "," and following in ("]", "}"):
            continue
        cleaned.append(token.text)
    try:
        return json.loads(" ".join(cleaned))
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON with comments: {error.msg}", where=where) from error


def _matching(tokens: list[_Token], open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        if tokens[index].text in "{[":
            depth += 1
        elif tokens[index].text in "}]":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced")


def _indent(block: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line for line in block.splitlines())


def merged_text(text: str, missing: list[dict[str, Any]], where: str) -> str:
    """``text`` with ``missing`` tasks appended to its top-level ``tasks`` array (created when absent)."""
    tokens = _tokens(text, where)
    if not tokens or tokens[0].text != "{":
        raise InputError("the top level of tasks.json must be an object", where=where)
    top_end = _matching(tokens, 0)
    depth, array_open = 0, None
    for index in range(top_end):
        token = tokens[index]
        if token.text in "{[":
            depth += 1
        elif token.text in "}]":
            depth -= 1
        elif depth == 1 and token.text == '"tasks"' and tokens[index + 1].text == ":":
            if tokens[index + 2].text != "[":
                raise InputError('"tasks" must be an array', where=where)
            array_open = index + 2
            break
    blocks = ",\n".join(_indent(json.dumps(task, indent=2, ensure_ascii=False), 4) for task in missing)
    if array_open is None:
        close = tokens[top_end]
        before = tokens[top_end - 1].text
        separator = "" if before in ("{", ",") else ","
        insertion = f'{separator}\n  "tasks": [\n{blocks}\n  ]\n'
        return text[: close.start] + insertion + text[close.start :]
    array_close = _matching(tokens, array_open)
    last = tokens[array_close - 1]
    separator = "" if last.text in ("[", ",") else ","
    insertion = f"{separator}\n{blocks}"
    return text[: last.end] + insertion + text[last.end :]


def init_tasks(directory: Path) -> InitResult:
    """Write or merge ``DIRECTORY/.vscode/tasks.json``; returns what was added and what was kept."""
    if not directory.is_dir():
        raise InputError("not a directory", where=str(directory))
    path = directory / ".vscode" / "tasks.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, tasks_document())
        return InitResult(path, tuple(t["label"] for t in TASKS), (), created=True, backup=None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read: {error}", where=str(path)) from error
    document = parse_jsonc(text, str(path))
    if not isinstance(document, dict):
        raise InputError("the top level of tasks.json must be an object", where=str(path))
    existing = document.get("tasks", [])
    if not isinstance(existing, list):
        raise InputError('"tasks" must be an array', where=str(path))
    labels = {task.get("label") for task in existing if isinstance(task, dict)}
    missing = [task for task in TASKS if task["label"] not in labels]
    kept = tuple(task["label"] for task in TASKS if task["label"] in labels)
    if not missing:
        return InitResult(path, (), kept, created=False, backup=None)
    new_text = merged_text(text, missing, str(path))
    parse_jsonc(new_text, str(path))  # the merge must itself be valid JSONC
    backup = path.with_name("tasks.json.bak")
    write_atomic(backup, text)
    write_atomic(path, new_text)
    return InitResult(path, tuple(t["label"] for t in missing), kept, created=False, backup=backup)
