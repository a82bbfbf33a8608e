"""``prover guard`` as a library call: read a proof file and its originals (a `.lean` file or a dataset) from
disk, then run the guard. It lives above `prover/lean/` because it knows the dataset loaders (`prover/data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from prover.data.problems import load_problems
from prover.lean.guard import DEFAULT_IMPORT_ROOTS, GuardReport, StatementCheck, guard_file
from prover.lean.lexer import tokenize
from prover.lean.source import read_lean_file
from prover.lean.text import parse_file
from prover.types import Problem


def _theorem_names(problem: Problem) -> set[str]:
    parsed = parse_file(problem.header + problem.formal_statement)
    return {d.full_name for d in parsed.theorems} | {problem.name}


def relevant_problems(final_text: str, problems: Sequence[Problem]) -> list[Problem]:
    """The dataset problems whose theorem ``final_text`` declares, or mentions in a comment (commented out)."""
    declared = {d.full_name for d in parse_file(final_text).declarations}
    mentioned = {t.text for t in tokenize(final_text) if not t.is_comment}
    commented = " ".join(t.text for t in tokenize(final_text) if t.is_comment)
    chosen = []
    for problem in problems:
        names = _theorem_names(problem)
        if names & declared or names & mentioned or any(name in commented for name in names):
            chosen.append(problem)
    return chosen


def guard_path(
    final_path: Path,
    original_path: Path,
    *,
    allow_native_decide: bool = False,
    allow_sorry: bool = False,
    allowed_imports: Sequence[str] = DEFAULT_IMPORT_ROOTS,
) -> GuardReport:
    """Guard ``final_path`` against ``original_path`` (a ``.lean`` file, or a dataset ``.jsonl``).

    With a dataset, the problems whose theorems the final file declares are the originals; a file that declares
    none of them fails. Raises ``InputError`` (exit 2) on unreadable or unparseable inputs.
    """
    final_text = read_lean_file(final_path)
    originals: str | list[Problem]
    if original_path.suffix == ".jsonl":
        originals = relevant_problems(final_text, load_problems(original_path))
        if not originals:
            missing = StatementCheck(
                name=final_path.name, ok=False, reason=f"declares no theorem of {original_path}"
            )
            return GuardReport(statements=(missing,))
    else:
        originals = read_lean_file(original_path)
    return guard_file(
        final_text,
        originals,
        allow_native_decide=allow_native_decide,
        allow_sorry=allow_sorry,
        allowed_imports=allowed_imports,
    )
