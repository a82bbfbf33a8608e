"""What a premise is indexed as: glossed name, signature without instance/implicit clutter, docstring."""

from __future__ import annotations

from pathlib import Path

from prover.settings import Settings
from prover.types import Premise
from retrieval.retrievers import Bm25Retriever
from retrieval.store import PremiseIndex, build_index
from retrieval.text import gloss_name, glossary, indexed_body, indexed_text, strip_signature

from .conftest import write_jsonl

SQ_NONNEG = Premise(
    name="sq_nonneg", signature="[ExistsAddOfLE R] [PosMulMono R] [AddLeftMono R] (a : R) : 0 ≤ a ^ 2"
)


def test_sq_nonneg_is_glossed_as_square_nonnegative() -> None:
    gloss = gloss_name("sq_nonneg").split()
    assert "square" in gloss and "nonnegative" in gloss


def test_mathlib_abbreviations_are_spelled_out() -> None:
    assert gloss_name("Nat.Prime.two_le") == "natural number prime two less than or equal"
    assert "divides" in gloss_name("Nat.Prime.dvd_mul") and "product" in gloss_name("Nat.Prime.dvd_mul")
    assert "square root" in gloss_name("Real.sqrt_lt_sqrt") and "less than" in gloss_name("Real.sqrt_lt_sqrt")
    assert "if and only if" in gloss_name("lt_div_iff₀")
    assert "successor" in gloss_name("Nat.succ_le_of_lt")
    assert "cast" in gloss_name("Nat.natCast_pos")  # camelCase is split before glossing
    assert gloss_name("Finset.card_union_le").startswith("finite set cardinality")


def test_the_glossary_is_one_data_file_with_a_source_note() -> None:
    source = (Path(__file__).parents[3] / "retrieval" / "data" / "name_glossary.toml").read_text()
    assert "Source:" in source and "naming" in source
    assert glossary()["dvd"].startswith("divides") and glossary()["sq"] == "square"


def test_instance_binders_are_stripped_from_the_indexed_text() -> None:
    text = indexed_text(SQ_NONNEG)
    assert "[" not in text and "ExistsAddOfLE" not in text and "PosMulMono" not in text
    assert "0 ≤ a ^ 2" in text and "square nonnegative" in text
    body = indexed_body(SQ_NONNEG)
    assert "PosMulMono" not in body and "0 ≤ a ^ 2" in body


def test_implicit_binders_go_and_explicit_hypotheses_stay() -> None:
    stripped = strip_signature(
        "{a b c : α} [Field α] ⦃x : α⦄ (hc : 0 < c) (n : ℕ) (f : ℕ → α) : a ≤ b / c ↔ a * c ≤ b"
    )
    assert stripped == "(hc : 0 < c) (n : ℕ) (f : ℕ → α) : a ≤ b / c ↔ a * c ≤ b"
    assert strip_signature(": ∀ {p : ℕ}, Prime p → 2 ≤ p") == ": Prime p → 2 ≤ p"
    # Nested brackets inside a binder do not end it early.
    assert strip_signature("[∀ i, Fintype (α i)] : card (∀ i, α i) = ∏ i, card (α i)") == (
        ": card (∀ i, α i) = ∏ i, card (α i)"
    )
    assert strip_signature("") == ""


def test_docstrings_are_indexed() -> None:
    premise = Premise(name="foo", signature=": True", doc="The square of an element is nonnegative.")
    assert "The square of an element is nonnegative." in indexed_text(premise)


def test_bm25_finds_sq_nonneg_from_plain_words(tmp_path: Path) -> None:
    rows = [
        {"name": "sq_nonneg", "signature": SQ_NONNEG.signature},
        {"name": "ExistsAddOfLE.of_le", "signature": "[ExistsAddOfLE R] [PosMulMono R] (a : R) : a = a"},
        {"name": "pow_le_pow_left", "signature": "[PosMulMono R] (ha : 0 ≤ a) (hab : a ≤ b) : a ^ n ≤ b ^ n"},
    ]
    settings = Settings(cache_dir=tmp_path / "cache")
    report = build_index(write_jsonl(tmp_path / "c.jsonl", rows), settings, dense=False)
    retriever = Bm25Retriever(PremiseIndex(report.index_dir))
    assert retriever.search("square is nonnegative", 3)[0].premise.name == "sq_nonneg"
    # Instance class names are not indexed: they no longer match every lemma that carries them.
    assert [h.premise.name for h in retriever.search("PosMulMono", 3)] == []
