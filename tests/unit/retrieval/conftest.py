"""A small real-shaped premise corpus written in the test, and Settings whose index lives in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.settings import Settings

ROWS = [
    {
        "name": "Real.sqrt_lt_sqrt",
        "signature": "(hx : 0 ≤ x) (h : x < y) : √x < √y",
        "file": "Mathlib/A.lean",
    },
    {"name": "Real.sqrt_le_sqrt", "signature": "(h : x ≤ y) : √x ≤ √y", "file": "Mathlib/A.lean"},
    {
        "name": "Real.add_pow_le_pow_mul_pow_of_sq_le_sq",
        "signature": "(h : a ^ 2 ≤ b) : a ≤ b",
        "file": "M/B.lean",
    },
    {"name": "Nat.pos_of_ne_zero", "signature": "{n : ℕ} : n ≠ 0 → 0 < n", "file": "Mathlib/N.lean"},
    {"name": "Nat.Prime.two_le", "signature": "{p : ℕ} (hp : p.Prime) : 2 ≤ p", "file": "Mathlib/N.lean"},
    {
        "name": "Finset.sum_range_succ",
        "signature": "(f : ℕ → M) (n : ℕ) : ∑ x ∈ range (n + 1), f x = ∑ x ∈ range n, f x + f n",
        "file": "Mathlib/F.lean",
        "attrs": "@[to_additive (attr := simp)]",
    },
    {
        "name": "abs_sub_lt_iff",
        "signature": ": |a - b| < c ↔ a - b < c ∧ b - a < c",
        "file": "Mathlib/O.lean",
    },
    {"name": "Int.emod_two_eq", "signature": "(n : ℤ) : n % 2 = 0 ∨ n % 2 = 1", "file": "Mathlib/I.lean"},
    {
        "name": "mul_self_nonneg",
        "signature": "(a : α) : 0 ≤ a * a",
        "file": "Mathlib/O.lean",
        "doc": "The square of an element of a linear ordered ring is nonnegative.",
        "attrs": "@[simp]",
    },
    {"name": "secret_helper", "signature": ": True", "file": "Mathlib/P.lean", "attrs": "private"},
    {
        "name": "Nat.old_name",
        "signature": ": 1 = 1",
        "file": "Mathlib/P.lean",
        "attrs": '@[deprecated Nat.pos_of_ne_zero (since := "2024-01-01")]',
    },
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "corpus.jsonl", ROWS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")
