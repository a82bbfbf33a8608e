"""Load theorem datasets (miniF2F variants, ProofNet, PutnamBench) into ``Problem`` values.

The schema is detected per row from its fields, so one loader reads every stored variant:

=====================================  ==========================================================
fields                                 variants
=====================================  ==========================================================
``formal_statement`` (+ ``header``)    DSP+, DeepSeek V1.5 (statement only), Goedel V2 (full file)
``lean_file``                          yangky11 miniF2F-lean4, PutnamBench (a complete file)
``formal`` + ``id``                    Harmonic (the theorem is named by ``id``)
``lean4_formalization``                ProofNet# (``lean4_src_header``)
``formal_stmt`` + ``header``           ProofNet verified
=====================================  ==========================================================

When the statement text carries its own header (imports, ``open``), it is split off with ``parse_file`` so that
``Problem.header + Problem.formal_statement`` is the file text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prover.data.jsonl import read_rows
from prover.errors import InputError
from prover.lean.text import parse_file
from prover.types import Problem


def _text(row: dict[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"field {key!r} must be a non-empty string", where=where)
    return value


def _optional(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _split_header(text: str) -> tuple[str, str]:
    parsed = parse_file(text)
    return parsed.header, text[len(parsed.header) :]


def problem_from_row(row: dict[str, Any], *, source: str, where: str) -> Problem:
    """One dataset row as a Problem; InputError naming ``where`` when no known schema fits."""
    split = _optional(row, "split")
    informal = (
        _optional(row, "informal_statement") or _optional(row, "natural") or _optional(row, "nl_statement")
    )
    informal_proof = _optional(row, "informal_proof") or _optional(row, "nl_proof")
    if "formal_statement" in row:
        statement = _text(row, "formal_statement", where)
        header = _optional(row, "header") or ""
        if not header:
            header, statement = _split_header(statement)
        name = _text(row, "name", where)
    elif "lean_file" in row:
        header, statement = _split_header(_text(row, "lean_file", where))
        name = _text(row, "name", where)
    elif "formal" in row:
        header, statement = "", _text(row, "formal", where)
        name = _text(row, "name", where)
    elif "lean4_formalization" in row:
        statement = _text(row, "lean4_formalization", where)
        header = _optional(row, "lean4_src_header") or ""
        name = _text(row, "id", where).rsplit("|", 1)[-1]
    elif "formal_stmt" in row:
        statement = _text(row, "formal_stmt", where)
        header = _optional(row, "header") or ""
        name = _text(row, "name", where)
        informal = informal or _optional(row, "informal_stmt")
    elif "proof" in row:
        raise InputError(
            "this is a file of proofs, not of statements (use load_published_proofs)", where=where
        )
    else:
        raise InputError(f"no known dataset schema fits the fields {sorted(row)}", where=where)
    return Problem(
        name=name,
        formal_statement=statement,
        header=header,
        informal_statement=informal,
        informal_proof=informal_proof,
        source=source,
        split=split,
    )


def load_problems(path: Path | str) -> list[Problem]:
    """Every row of a dataset ``.jsonl`` as a Problem, in file order."""
    path = Path(path)
    return [
        problem_from_row(row, source=path.stem, where=f"{path}:{number}") for number, row in read_rows(path)
    ]
