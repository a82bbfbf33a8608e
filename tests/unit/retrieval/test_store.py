"""Index cache behaviour: reuse, rebuild on corpus change, and the retrievers over a built index."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.errors import ConfigError, CorpusError, RetrievalError
from prover.settings import Settings
from retrieval.base import Retriever
from retrieval.query import premises_for_error, query_from_goal, query_from_statement
from retrieval.retrievers import make_retriever, open_retriever
from retrieval.store import PremiseIndex, build_index, current_index_dir

from .conftest import ROWS, write_jsonl


def test_second_build_reuses_the_index(corpus_file: Path, settings: Settings) -> None:
    first = build_index(corpus_file, settings, dense=False)
    stamp = (first.index_dir / "bm25").stat().st_mtime_ns
    second = build_index(corpus_file, settings, dense=False)
    assert first.built == ("corpus", "bm25") and second.built == ()
    assert second.reused == ("corpus", "bm25") and second.index_dir == first.index_dir
    assert (second.index_dir / "bm25").stat().st_mtime_ns == stamp


def test_corpus_change_triggers_a_rebuild(tmp_path: Path, corpus_file: Path, settings: Settings) -> None:
    first = build_index(corpus_file, settings, dense=False)
    changed = write_jsonl(corpus_file, [*ROWS, {"name": "Nat.new_lemma", "signature": ": 2 + 2 = 4"}])
    second = build_index(changed, settings, dense=False)
    assert second.built == ("corpus", "bm25") and second.index_dir != first.index_dir
    assert second.premises == first.premises + 1
    assert current_index_dir(settings) == second.index_dir


def test_filters_are_part_of_the_key(tmp_path: Path, corpus_file: Path) -> None:
    strict = build_index(corpus_file, Settings(cache_dir=tmp_path / "c"), dense=False)
    loose = build_index(
        corpus_file, Settings(cache_dir=tmp_path / "c", retrieval={"include_private": True}), dense=False
    )
    assert loose.index_dir != strict.index_dir and loose.premises == strict.premises + 1


def test_progress_callback_sees_every_stage(corpus_file: Path, settings: Settings) -> None:
    seen: list[tuple[str, int, int]] = []
    build_index(corpus_file, settings, dense=False, progress=lambda s, d, t: seen.append((s, d, t)))
    stages = {stage for stage, _, _ in seen}
    assert {"reading corpus", "tokenizing", "bm25 index"} <= stages
    assert all(done == total for stage, done, total in seen if (stage, done) == (stage, total))
    assert ("tokenizing", len(ROWS) - 2, len(ROWS) - 2) in seen


def test_empty_corpus_builds_nothing(tmp_path: Path, settings: Settings) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CorpusError):
        build_index(empty, settings, dense=False)
    with pytest.raises(RetrievalError, match="index build"):
        current_index_dir(settings)


def test_bm25_finds_the_lemma_a_statement_needs(corpus_file: Path, settings: Settings) -> None:
    build_index(corpus_file, settings, dense=False)
    retriever = open_retriever(settings, "bm25")
    assert isinstance(retriever, Retriever)
    hits = retriever.search("theorem t (a b : ℝ) (h₀ : 0 ≤ a) (h₁ : √a < √b) : a < b := by", k=3)
    assert hits[0].premise.name == "Real.sqrt_lt_sqrt"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    summed = retriever.search(
        query_from_statement("theorem s (n : ℕ) : ∑ k ∈ Finset.range (n+1), k = 0 := by")
    )
    assert summed[0].premise.name == "Finset.sum_range_succ"


def test_private_premises_never_come_back(corpus_file: Path, settings: Settings) -> None:
    build_index(corpus_file, settings, dense=False)
    retriever = open_retriever(settings, "bm25")
    assert all(h.premise.name != "secret_helper" for h in retriever.search("secret helper True", k=20))


def test_unknown_identifier_finds_the_real_name(corpus_file: Path, settings: Settings) -> None:
    build_index(corpus_file, settings, dense=False)
    retriever = open_retriever(settings, "bm25")
    misspelt = premises_for_error(retriever, "unknown identifier 'Nat.pos_of_ne_zer'", k=3)
    assert misspelt[0].premise.name == "Nat.pos_of_ne_zero"
    renamed = premises_for_error(retriever, "unknown constant 'Int.pos_of_ne_zero'", k=3)
    assert renamed[0].premise.name == "Nat.pos_of_ne_zero"
    assert premises_for_error(retriever, "type mismatch", k=3) == []


def test_lookup_of_an_existing_name_scores_one(corpus_file: Path, settings: Settings) -> None:
    build_index(corpus_file, settings, dense=False)
    hits = open_retriever(settings, "bm25").lookup_name("Real.sqrt_le_sqrt", k=2)
    assert hits[0].premise.name == "Real.sqrt_le_sqrt" and hits[0].score == 1.0
    assert hits[1].score < 1.0


def test_dense_mode_without_embeddings_says_how_to_fix(corpus_file: Path, settings: Settings) -> None:
    build_index(corpus_file, settings, dense=False)
    with pytest.raises(RetrievalError, match="index build"):
        open_retriever(settings, "dense").search("sqrt", k=3)


def test_unknown_mode_is_a_config_error(corpus_file: Path, settings: Settings) -> None:
    report = build_index(corpus_file, settings, dense=False)
    with pytest.raises(ConfigError):
        make_retriever(PremiseIndex(report.index_dir), "magic", "m")


def test_goal_query_keeps_types_and_drops_hypothesis_names() -> None:
    goal = "x y : ℝ\nh₀ : 0 < x\nhxy : x ≤\n  y\n⊢ √x ≤ √y"
    query = query_from_goal(goal)
    assert "h₀" not in query and "hxy" not in query
    assert query.startswith("√x ≤ √y") and "0 < x" in query and "x ≤ y" in query


def test_statement_query_puts_the_conclusion_first() -> None:
    assert query_from_statement("theorem t (x : ℝ) (h : 0 < x) : 0 < x ^ 2 := by\n  positivity") == (
        "0 < x ^ 2 : (x : ℝ) (h : 0 < x)"
    )
    # colons inside binders, instance brackets and a comment do not split; no binders: the type alone
    assert query_from_statement("lemma l {α : Type*} [Ring α] (a : α) : a * 0 = 0 := by simp") == (
        "a * 0 = 0 : {α : Type*} [Ring α] (a : α)"
    )
    assert query_from_statement("theorem s : ∀ n : ℕ, n + 0 = n := by -- note: easy\n  simp") == (
        "∀ n : ℕ, n + 0 = n"
    )
