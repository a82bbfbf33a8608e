"""The category of a competition problem, read from its conventional name (miniF2F naming)."""

from __future__ import annotations

CATEGORIES = ("mathd algebra", "mathd number theory", "amc", "aime", "imo", "induction", "other")

_PREFIXES = (
    ("mathd_algebra", "mathd algebra"),
    ("mathd_numbertheory", "mathd number theory"),
    ("amc", "amc"),
    ("aime", "aime"),
    ("imo", "imo"),
    ("induction", "induction"),
)


def category_of(name: str) -> str:
    """``mathd_algebra_478`` → ``mathd algebra``; ``amc12a_2019_p21`` → ``amc``; unknown → ``other``."""
    lowered = name.lower()
    for prefix, category in _PREFIXES:
        if lowered.startswith(prefix):
            return category
    return "other"
