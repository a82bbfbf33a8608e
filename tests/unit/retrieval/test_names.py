from __future__ import annotations

from retrieval.names import NameMatcher, names_in_error

NAMES = [
    "Nat.pos_of_ne_zero",
    "Nat.pos_of_ne_zero'",
    "Real.sqrt_lt_sqrt",
    "NNReal.sqrt_lt_sqrt",
    "Real.sqrt_le_sqrt",
    "add_pos",
    "Finset.sum_range_succ",
    "Finset.prod_range_succ",
]


def test_error_messages_yield_the_unknown_names() -> None:
    text = "error: unknown identifier 'Nat.pos_of_ne_zer'\nerror: unknown constant 'Real.sqrt_lt'"
    assert names_in_error(text) == ["Nat.pos_of_ne_zer", "Real.sqrt_lt"]
    assert names_in_error("unknown identifier «Foo.bar»") == ["Foo.bar"]
    assert names_in_error("type mismatch") == []
    # the wording of newer REPLs (recorded in the HEAD transcripts)
    assert names_in_error("Unknown identifier `my_fake_premise`") == ["my_fake_premise"]


def test_one_edit_misspelling_finds_the_name() -> None:
    matcher = NameMatcher(NAMES)
    for typo, real in [
        ("Nat.pos_of_ne_zer", "Nat.pos_of_ne_zero"),
        ("Real.sqrt_lt_sqtr", "Real.sqrt_lt_sqrt"),
        ("Finset.sum_range_suc", "Finset.sum_range_succ"),
    ]:
        top = [NAMES[i] for i, _ in matcher.lookup(typo, 3)]
        assert top[0] == real, (typo, top)


def test_wrong_namespace_finds_the_name_under_another_namespace() -> None:
    matcher = NameMatcher(NAMES)
    top = [NAMES[i] for i, _ in matcher.lookup("Int.add_pos", 3)]
    assert top[0] == "add_pos"
    top = [NAMES[i] for i, _ in matcher.lookup("Rat.sqrt_lt_sqrt", 5)]
    assert {"Real.sqrt_lt_sqrt", "NNReal.sqrt_lt_sqrt"} <= set(top[:2])


def test_exact_name_first_with_score_one_and_scores_descend() -> None:
    ranked = NameMatcher(NAMES).lookup("_root_.add_pos", 4)
    assert NAMES[ranked[0][0]] == "add_pos" and ranked[0][1] == 1.0
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
