from __future__ import annotations

from retrieval.tokenize import lean_tokens, split_identifier


def test_names_split_on_dots_underscores_and_camel_case() -> None:
    assert split_identifier("Nat.Prime.two_le") == ["nat", "prime", "two", "le"]
    assert split_identifier("IsPrimePow.natCast") == ["is", "prime", "pow", "nat", "cast"]


def test_notation_becomes_the_words_of_lemma_names() -> None:
    tokens = lean_tokens("(x : ℝ) (h : 0 ≤ x) : √x ≤ ∑ i ∈ s, f i ^ 2")
    for word in ("real", "zero", "le", "sqrt", "sum", "mem", "pow", "two"):
        assert word in tokens
    assert "x" not in tokens and "i" not in tokens  # bound variables carry no signal


def test_statement_and_lemma_name_share_tokens() -> None:
    statement = set(lean_tokens("theorem t (a b : ℝ) (h : √a < √b) : a < b"))
    assert {"sqrt", "lt"} <= statement & set(lean_tokens("Real.sqrt_lt_sqrt"))


def test_inverse_and_factorial() -> None:
    assert lean_tokens("f⁻¹ (n !)") == ["inv", "factorial"]
