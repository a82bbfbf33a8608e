r"""Lean messages of a checked file as lines for people, programs and editors (``prover check --format``).

Lines and columns are 1-based here, as editors count them, and relative to the file as the user wrote it.

- ``text``: ``FILE:LINE:COL: SEVERITY: TEXT``; the further lines of a multi-line message follow, indented by
  two spaces. Columns count code points.
- ``json``: a list of ``{"file", "line", "column", "end_line", "end_column", "severity", "text"}`` (code
  points; ``end_*`` null when Lean gave no end).
- ``vscode``: one line per message, ``FILE:LINE:COL:END_LINE:END_COL: SEVERITY: TEXT`` with columns in
  UTF-16 code units (as VS Code counts them) and line breaks of the text shown as `` ⏎ ``. A VS Code problem
  matcher reads it with (see ``.vscode/tasks.json``)::

      "pattern": {
        "regexp": "^(.+?):(\\d+):(\\d+):(\\d+):(\\d+): (error|warning|info): (.*)$",
        "file": 1, "line": 2, "column": 3, "endLine": 4, "endColumn": 5, "severity": 6, "message": 7
      }

  The lazy file group keeps Windows drive letters (``C:\...``) and colons inside messages apart.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from prover.lean.check_file import FileCheck
from prover.lean.positions import ColumnUnit, editor_column
from prover.types import Message, Pos

VSCODE_PATTERN = r"^(.+?):(\d+):(\d+):(\d+):(\d+): (error|warning|info): (.*)$"
"""The problem-matcher regular expression for the ``vscode`` format (also in ``.vscode/tasks.json``)."""

VSCODE_LINE_BREAK = " ⏎ "


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    vscode = "vscode"


class _EditorPositions:
    """Converts library positions to 1-based editor positions within one source text."""

    def __init__(self, source: str, unit: ColumnUnit) -> None:
        self._lines = source.split("\n")
        self._unit = unit

    def line_column(self, pos: Pos) -> tuple[int, int]:
        line = max(pos.line, 1)
        text = self._lines[line - 1] if line <= len(self._lines) else ""
        return line, editor_column(text, pos.column, self._unit)


def render(check: FileCheck, output: OutputFormat) -> str:
    """The whole output for ``check`` in ``output`` format (no trailing newline; empty when no messages)."""
    match output:
        case OutputFormat.text:
            return "\n".join(_text_line(check, m) for m in check.messages)
        case OutputFormat.json:
            return json.dumps([_json_object(check, m) for m in check.messages], ensure_ascii=False, indent=2)
        case OutputFormat.vscode:
            return "\n".join(_vscode_line(check, m) for m in check.messages)


def _text_line(check: FileCheck, message: Message) -> str:
    line, column = _EditorPositions(check.source, ColumnUnit.code_point).line_column(message.pos)
    first, *rest = message.text.split("\n")
    head = f"{check.path}:{line}:{column}: {message.severity.value}: {first}"
    return "\n".join([head, *(f"  {more}" for more in rest)])


def _json_object(check: FileCheck, message: Message) -> dict[str, Any]:
    positions = _EditorPositions(check.source, ColumnUnit.code_point)
    line, column = positions.line_column(message.pos)
    end_line, end_column = positions.line_column(message.end_pos) if message.end_pos else (None, None)
    return {
        "file": check.path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "severity": message.severity.value,
        "text": message.text,
    }


def _vscode_line(check: FileCheck, message: Message) -> str:
    return vscode_line(check.path, check.source, message)


def vscode_line(path: str, source: str, message: Message) -> str:
    """One message in the ``vscode`` format (``VSCODE_PATTERN``): 1-based UTF-16 columns, one line."""
    positions = _EditorPositions(source, ColumnUnit.utf16)
    line, column = positions.line_column(message.pos)
    end_line, end_column = positions.line_column(message.end_pos) if message.end_pos else (line, column)
    text = VSCODE_LINE_BREAK.join(message.text.split("\n"))
    return f"{path}:{line}:{column}:{end_line}:{end_column}: {message.severity.value}: {text}"
