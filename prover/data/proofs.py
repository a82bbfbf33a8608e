"""Load published proof files (one complete Lean file per row, field ``proof``)."""

from __future__ import annotations

from pathlib import Path

from prover.data.jsonl import read_rows
from prover.errors import InputError
from prover.types import Frozen


class PublishedProof(Frozen):
    """A proof released by others: the complete Lean file, as shipped."""

    name: str
    proof: str
    split: str | None = None
    source: str = ""
    line: int = 0  # line of the row in its file


def load_published_proofs(path: Path | str) -> list[PublishedProof]:
    path = Path(path)
    proofs: list[PublishedProof] = []
    for number, row in read_rows(path):
        name, proof = row.get("name"), row.get("proof")
        if not isinstance(name, str) or not isinstance(proof, str):
            raise InputError("a proof row needs string fields 'name' and 'proof'", where=f"{path}:{number}")
        split = row.get("split")
        proofs.append(
            PublishedProof(
                name=name,
                proof=proof,
                split=split if isinstance(split, str) else None,
                source=path.stem,
                line=number,
            )
        )
    return proofs
