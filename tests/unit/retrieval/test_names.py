from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from retrieval.names import (
    CANDIDATES,
    EXACT_FROM,
    NameMatcher,
    _similarities,
    _TrigramIndex,
    last_component,
    names_in_error,
)
from tests.fakes.full_scan_names import FullScanMatcher

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


# ---- the trigram index against the two full scans it replaced


WORDS = [
    "add",
    "mul",
    "sub",
    "pos",
    "neg",
    "of",
    "ne",
    "zero",
    "one",
    "le",
    "lt",
    "succ",
    "sum",
    "range",
    "prod",
    "map",
    "comp",
    "id",
    "ext",
    "inj",
    "cast",
    "sqrt",
    "norm",
    "coe",
    "iff",
    "eq",
    "self",
    "left",
    "right",
    "assoc",
    "comm",
    "pow",
]
SPACES = [
    "",
    "",
    "Nat",
    "Int",
    "Real",
    "Finset",
    "Set.Icc",
    "MeasureTheory.Measure",
    "CategoryTheory.Functor",
    "ℝ≥0",
]
DECORATIONS = ["", "", "", "'", "₀", "ᵢ", "''", "_iff", "₀'", "ₗ"]
LETTERS = "abcdeilmnorstuz_.'₀ᵢℝé"


def generated_names(rng: random.Random, count: int) -> list[str]:
    names = []
    for _ in range(count):
        if rng.random() < 0.03:  # short names, some of them equal
            last = rng.choice(["a", "e", "id", "π", "ext", "mk", "ι"])
        else:
            last = "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))) + rng.choice(DECORATIONS)
        space = rng.choice(SPACES)
        names.append(f"{space}.{last}" if space else last)
    return names


def edited(name: str, rng: random.Random) -> str:
    text = name
    for _ in range(rng.choice([1, 1, 2, 3])):
        i = rng.randrange(len(text) + 1)
        op = rng.choice("dsit")
        if op == "d" and i < len(text):
            text = text[:i] + text[i + 1 :]
        elif op == "s" and i < len(text):
            text = text[:i] + rng.choice(LETTERS) + text[i + 1 :]
        elif op == "t" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        else:
            text = text[:i] + rng.choice(LETTERS) + text[i:]
    return text


def queries(names: list[str], rng: random.Random, count: int) -> list[str]:
    made = []
    for _ in range(count):
        name = rng.choice(names)
        kind = rng.random()
        if kind < 0.5:
            made.append(edited(name, rng))
        elif kind < 0.75:  # the last component under another namespace, or none
            space = rng.choice(SPACES)
            made.append(f"{space}.{last_component(name)}" if space else last_component(name))
        elif kind < 0.85:
            made.append(rng.choice(["", " ", "x", "ℝ", "_", "a.b", "₀'"]))
        elif kind < 0.95:
            made.append(rng.choice(["", "_root_.", "@", " "]) + name)
        else:
            made.append("".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 40))))
    return made


K_CHOICES = [1, 3, 5, 10, 10, 40, 10_000]  # the last larger than any pool of these corpora


def test_with_every_name_a_candidate_lookup_equals_the_full_scans() -> None:
    rng = random.Random(1)
    names = generated_names(rng, 400)
    names += names[:5]  # equal names: an exact match scores its last copy
    reference, matcher = FullScanMatcher(names), NameMatcher(names, candidates=len(names))
    for query in queries(names, rng, 400):
        k = rng.choice(K_CHOICES)
        assert matcher.lookup(query, k) == reference.lookup(query, k), (query, k)


def test_results_scoring_exact_from_are_those_of_the_full_scans() -> None:
    # Few candidates beyond the guaranteed ones, so that the guarantee alone has to hold the results up.
    rng = random.Random(2)
    names = generated_names(rng, 3000)
    reference = FullScanMatcher(names)
    matchers = [NameMatcher(names, candidates=c) for c in (0, 30, CANDIDATES)]
    for query in queries(names, rng, 500):
        k = rng.choice(K_CHOICES)
        expected = reference.lookup(query, k)
        sure = [pair for pair in expected if pair[1] >= EXACT_FROM]
        for matcher in matchers:
            found = matcher.lookup(query, k)
            assert found[: len(sure)] == sure, (query, k)
            assert all(score < EXACT_FROM for _, score in found[len(sure) :]), (query, k)
            assert len(found) <= k


def test_similarities_are_rapidfuzz_normalized_similarity_to_the_bit() -> None:
    rng = random.Random(3)
    texts = ["", "a", "ℝ", *generated_names(rng, 200)]
    for text in texts[:40]:
        found = _similarities(text, texts)
        assert found.tolist() == [Levenshtein.normalized_similarity(text, other) for other in texts]


def padded_trigrams(text: str) -> Counter[str]:
    padded = f"\0\0{text}\0\0"
    return Counter(padded[i : i + 3] for i in range(len(padded) - 2))


def test_shared_counts_bound_the_shared_trigrams_across_runs() -> None:
    # Just over one run of 2^16 strings, so that postings of the second run are counted too.
    rng = random.Random(4)
    strings = [edited(name, rng) for name in generated_names(rng, 66_000)]
    index = _TrigramIndex(strings)
    sample = rng.sample(range(len(strings)), 300) + list(range(65_530, 65_545))
    for text in [*rng.sample(strings, 5), "", "ℝ≥0", "zz"]:
        shared = index.shared(text)
        assert shared.shape == (len(strings),)
        wanted = padded_trigrams(text)
        for i in sample:
            assert shared[i] >= sum((wanted & padded_trigrams(strings[i])).values()), (text, strings[i])


def test_candidates_hold_every_string_that_reaches_the_threshold() -> None:
    rng = random.Random(5)
    strings = [last_component(name) for name in generated_names(rng, 2000)]
    index = _TrigramIndex(strings)
    for text in queries(strings, rng, 60):
        similarity = _similarities(text, strings)
        for threshold in (1.0, 0.9, 0.8, 0.7, 0.6, 0.4, 0.0, -0.1):
            found = set(index._candidates(text, threshold, 20).tolist())
            assert {i for i, s in enumerate(similarity) if s >= threshold} <= found, (text, threshold)


def test_cached_matcher_is_saved_once_and_read_back_with_the_same_lookups(tmp_path: Path) -> None:
    names = generated_names(random.Random(7), 2_000)
    path = tmp_path / "names.index.npz"
    built = NameMatcher.cached(names, path)
    assert path.is_file()
    saved_at = path.stat().st_mtime_ns
    read = NameMatcher.cached(names, path)
    assert path.stat().st_mtime_ns == saved_at  # read, not rebuilt
    for query in ["Nat.pos_of_ne_zer", names[5] + "x", names[17].replace(".", "_"), "ℝ.sq"]:
        assert read.lookup(query, 10) == built.lookup(query, 10) == NameMatcher(names).lookup(query, 10)


def test_cached_matcher_rebuilds_a_damaged_or_foreign_file_and_survives_an_unwritable_folder(
    tmp_path: Path,
) -> None:
    names = sorted(set(generated_names(random.Random(8), 500)))  # distinct: an exact match is one index
    path = tmp_path / "names.index.npz"
    for damage in (b"not an npz file", b"PK\x03\x04truncated"):
        path.write_bytes(damage)
        assert NameMatcher.cached(names, path).lookup(names[3], 1) == [(3, 1.0)]
        assert NameMatcher.cached(names, path).lookup(names[3], 1) == [(3, 1.0)]  # now a good file
    other = NameMatcher.cached(names[1:], path)  # the file holds other names: rebuilt for these
    assert other.lookup(names[3], 1) == [(2, 1.0)]
    nowhere = tmp_path / "missing-folder" / "names.index.npz"
    assert NameMatcher.cached(names, nowhere).lookup(names[4], 1) == [(4, 1.0)]
    assert not nowhere.parent.exists()
