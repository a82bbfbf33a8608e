from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from prover.errors import CorpusError
from retrieval.corpus import file_sha256, load_corpus, parse_attrs, premise_from_row

from .conftest import ROWS, write_jsonl


def test_attrs_text_is_split_into_attributes_and_modifiers() -> None:
    assert parse_attrs("@[simp, norm_cast] protected") == ("simp", "norm_cast", "protected")
    assert parse_attrs('@[deprecated foo (since := "2024-01-01"), simp]') == (
        'deprecated foo (since := "2024-01-01")',
        "simp",
    )


def test_flags_come_from_the_attribute_text() -> None:
    simp = premise_from_row({"name": "a", "attrs": "@[to_additive (attr := simp)]"})
    simps = premise_from_row({"name": "b", "attrs": "@[simps]"})
    deprecated = premise_from_row({"name": "c", "attrs": '@[deprecated (since := "2025")]'})
    private = premise_from_row({"name": "d", "attrs": "private"})
    assert (simp.simp, simps.simp, deprecated.deprecated, private.private) == (True, False, True, True)
    assert (
        simp.module == ""
        and premise_from_row({"name": "e", "file": "Mathlib/A/B.lean"}).module == "Mathlib.A.B"
    )


def test_lean_dump_rows_with_flags_load() -> None:
    row = {
        "name": "x",
        "signature": "T",
        "module": "Mathlib.X",
        "private": False,
        "deprecated": True,
        "simp": True,
    }
    premise = premise_from_row(row)
    assert premise.module == "Mathlib.X" and premise.deprecated and premise.simp


def test_private_and_deprecated_are_dropped_by_default(corpus_file: Path) -> None:
    names = {p.name for p in load_corpus(corpus_file)}
    assert "secret_helper" not in names and "Nat.old_name" not in names
    assert len(names) == len(ROWS) - 2
    everything = load_corpus(corpus_file, include_private=True, include_deprecated=True)
    assert {p.name for p in everything} == {r["name"] for r in ROWS}


def test_gzip_corpus_loads_like_plain(tmp_path: Path, corpus_file: Path) -> None:
    gz = tmp_path / "corpus.jsonl.gz"
    gz.write_bytes(gzip.compress(corpus_file.read_bytes()))
    assert load_corpus(gz) == load_corpus(corpus_file)


def test_empty_corpus_is_a_corpus_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty") as caught:
        load_corpus(empty)
    assert caught.value.exit_code == 2


def test_corrupt_row_names_file_and_line(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", ROWS[:2])
    bad.write_text(bad.read_text(encoding="utf-8") + '{"name": "x", "signature": \n', encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus(bad)
    assert caught.value.where == f"{bad}:3"


def test_row_without_name_is_corrupt(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "noname.jsonl", [{"signature": "T"}])
    with pytest.raises(CorpusError, match="name"):
        load_corpus(bad)


def test_truncated_gzip_is_a_corpus_error(tmp_path: Path, corpus_file: Path) -> None:
    gz = tmp_path / "cut.jsonl.gz"
    gz.write_bytes(gzip.compress(corpus_file.read_bytes())[:40])
    with pytest.raises(CorpusError):
        load_corpus(gz)


def test_hash_changes_with_content(tmp_path: Path, corpus_file: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", ROWS[:-1])
    assert file_sha256(corpus_file) != file_sha256(other)
