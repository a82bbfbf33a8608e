"""Position bookkeeping between the text a user wrote and the text a backend saw.

Inside the library a position is a ``Pos``: 1-based line, 0-based column counted in code points (the REPL's
convention). Two conversions live here:

- Kimina servers split a snippet into a header (the leading ``import`` and blank lines) and a body, and older
  servers report body-relative lines. ``kimina_header_line_count`` reproduces the server's split rule exactly
  so that ``shift_lines`` can restore file lines.
- Editors count columns from 1, and VS Code counts them in UTF-16 code units (a character outside the Basic
  Multilingual Plane, such as ``𝓝``, is two units). ``editor_column`` converts for output.
"""

from __future__ import annotations

from enum import StrEnum

from prover.types import Message, Pos, SorryGoal


class ColumnUnit(StrEnum):
    """How an editor counts the characters before a column."""

    code_point = "code_point"  # Lean, most terminals and editors other than VS Code
    utf16 = "utf16"  # VS Code and the Language Server Protocol


def kimina_header_line_count(code: str) -> int:
    """Number of leading lines a Kimina server treats as header: blank lines and lines starting ``import ``.

    Same rule as the server's ``split_snippet`` (``str.splitlines`` then ``strip``), so the count matches the
    offset that servers before the line-offset fix (2025-10) subtracted from every reported line.
    """
    count = 0
    for line in code.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("import "):
            break
        count += 1
    return count


def shift_lines(pos: Pos, lines: int) -> Pos:
    return pos if lines == 0 else Pos(line=pos.line + lines, column=pos.column)


def shift_message(message: Message, lines: int) -> Message:
    if lines == 0:
        return message
    end = None if message.end_pos is None else shift_lines(message.end_pos, lines)
    return message.model_copy(update={"pos": shift_lines(message.pos, lines), "end_pos": end})


def shift_sorry(sorry: SorryGoal, lines: int) -> SorryGoal:
    if lines == 0:
        return sorry
    end = None if sorry.end_pos is None else shift_lines(sorry.end_pos, lines)
    return sorry.model_copy(update={"pos": shift_lines(sorry.pos, lines), "end_pos": end})


def editor_column(line_text: str, column: int, unit: ColumnUnit) -> int:
    """The 1-based column an editor shows for the 0-based code-point ``column`` of ``line_text``.

    A column past the end of the line (Lean reports end-of-file positions) is kept, counted as one unit per
    missing character.
    """
    column = max(column, 0)
    match unit:
        case ColumnUnit.code_point:
            return column + 1
        case ColumnUnit.utf16:
            prefix = line_text[:column]
            extra = max(column - len(line_text), 0)
            wide = sum(1 for char in prefix if ord(char) > 0xFFFF)
            return len(prefix) + wide + extra + 1
