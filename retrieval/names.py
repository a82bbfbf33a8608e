"""Nearest real declaration names to a misspelt or renamed one, and the names an error message asks for.

Renames across Mathlib versions usually keep the last component and move the namespace
(``Nat.pos_of_ne_zero`` -> ``Nat.pos_of_ne_zero'``, ``Real.rpow_natCast`` -> ``Real.rpow_ofNat``) or change a
few characters, so candidates come from three places: the full names nearest by edit distance, the last
components nearest by edit distance (any namespace), and the same last component under another namespace.

Scanning all ~180k names twice per lookup costs ~100 ms, so the edit distances are only computed for
candidates drawn from a padded-trigram index (``_TrigramIndex``). Two strings at edit distance ``d`` share at
least ``max(len) + 2 - 3 * d`` of their padded trigrams (one edit touches at most three), so the candidates
include every string whose similarity can reach ``EXACT_FROM``: every result scoring at least ``EXACT_FROM``
is the one, with the score and rank, a full scan gives. The rest of the candidates are the strings sharing
the largest fraction of trigrams; results below ``EXACT_FROM`` are the best among them. Most of the ten
results of an error query score below ``EXACT_FROM`` and lie at edit distances no trigram or letter-count
bound excludes, so making them exact again means a full scan (``bench/names.py`` measures both).
"""

from __future__ import annotations

import heapq
import logging
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_UNKNOWN_NAME = re.compile(
    r"unknown (?:identifier|constant|declaration)\s+['‘`«]?(?P<name>[^\s'’`»]+)['’`»]?",
    re.IGNORECASE,  # newer Lean writes "Unknown identifier `x`"
)

INDEX_FILE = "names.index.npz"  # beside an index's names.txt: the matcher's arrays (``NameMatcher.cached``)
EXACT_FROM = 0.8  # results scoring at least this are exactly those of a full scan
CANDIDATES = 1000  # strings per index compared beyond those that can reach EXACT_FROM (bench/names.py)
_LAST_WEIGHT, _SPACE_WEIGHT = 0.9, 0.09  # a last-component match: 0.9 * its similarity + 0.09 * namespace's
_PAD = "\x00"  # pads each string with two of these on both sides; any character would do
_BUCKET_BITS = 16  # trigrams hash to 2^16 buckets (Mathlib has ~19k distinct trigrams)
_HASH = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D)  # odd multipliers of the three code points, mod 2^32
_RUN = 1 << (32 - _BUCKET_BITS)

Indices = npt.NDArray[np.int64]
log = logging.getLogger(__name__)
_Run = tuple[int, Indices, npt.NDArray[np.uint16]]  # strings in the run, offsets by bucket, postings


def _checksum(names: Sequence[str]) -> int:
    return zlib.crc32("\n".join(names).encode("utf-8", "surrogatepass"))


def names_in_error(message: str) -> list[str]:
    """Names Lean could not resolve in an error text (``unknown identifier 'X'``, ``unknown constant 'X'``)."""
    found: list[str] = []
    for match in _UNKNOWN_NAME.finditer(message):
        name = match.group("name").strip(".,:;")
        if name and name not in found:
            found.append(name)
    return found


def last_component(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def namespace(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _similarities(text: str, strings: Sequence[str]) -> npt.NDArray[np.float64]:
    """rapidfuzz's ``Levenshtein.normalized_similarity`` of ``text`` to each string (in float64, as the full
    scans' ``process.extract`` scored them)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    similarities: npt.NDArray[np.float64] = process.cdist(
        [text], strings, scorer=Levenshtein.normalized_similarity, dtype=np.float64
    )[0]
    return similarities


def _pick(items: Sequence[str], indices: Indices) -> list[str]:
    if indices.size == 0:
        return []
    picked = itemgetter(*indices.tolist())(items)
    return [picked] if indices.size == 1 else list(picked)


def _build_runs(strings: list[str], lengths: Indices) -> list[_Run]:
    """The postings of ``strings``, cut into runs of 2^16 strings (see ``_TrigramIndex``)."""
    count = len(strings)
    # The windows of the strings joined by the padding are exactly their padded trigrams, in order.
    padding = _PAD * 2
    points = np.frombuffer(
        (padding + padding.join(strings) + padding).encode("utf-32-le", "surrogatepass"),
        dtype=np.uint32,
    )
    windows = int(lengths.sum()) + 2 * count
    first, second, third = (np.uint32(m) for m in _HASH)
    keys = points[:windows] * first
    term = points[1 : windows + 1] * second
    keys += term
    keys += np.multiply(points[2 : windows + 2], third, out=term)
    keys &= np.uint32(((1 << _BUCKET_BITS) - 1) << (32 - _BUCKET_BITS))  # the top bits: the bucket
    # np.sort of 32-bit keys is several times faster than argsort or 64-bit keys, so the strings are cut
    # into runs of 2^(32 - _BUCKET_BITS), whose (bucket, string in run) pairs are sorted as one uint32 each.
    keys |= np.repeat(np.arange(count, dtype=np.uint32) & np.uint32(_RUN - 1), lengths + 2)
    window_end = np.cumsum(lengths + 2)
    bucket_starts = np.arange(1 << _BUCKET_BITS, dtype=np.uint32) << np.uint32(32 - _BUCKET_BITS)
    # per run: its size, offsets by bucket, and the postings (the strings' places in the run)
    runs: list[_Run] = []
    for run_first in range(0, count, _RUN):
        lo = int(window_end[run_first - 1]) if run_first else 0
        run = keys[lo : int(window_end[min(run_first + _RUN, count) - 1])]
        run.sort()
        run = run[np.r_[True, run[1:] != run[:-1]]]
        offsets = np.r_[np.searchsorted(run, bucket_starts), run.size]
        # the low 16 bits of a key: the string's place in its run (_RUN is 2^16)
        runs.append((min(_RUN, count - run_first), offsets, run.astype(np.uint16)))
    return runs


class _TrigramIndex:
    """Postings of the padded trigrams (``"\\0\\0" + s + "\\0\\0"``) of a fixed list of strings.

    A trigram is hashed to one of 2^16 buckets; the postings list each (bucket, string) pair once, and
    ``shared`` counts a bucket as often as the query has trigrams in it. Merging trigrams only raises the
    counts, so they still bound the shared trigrams (a multiset intersection) from above.
    """

    def __init__(self, strings: Sequence[str], runs: list[_Run] | None = None) -> None:
        self.strings = list(strings)
        self.lengths: Indices = np.fromiter(map(len, self.strings), dtype=np.int64, count=len(self.strings))
        self._runs = runs if runs is not None else _build_runs(self.strings, self.lengths)

    def arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        """The postings as flat arrays (``from_arrays`` reads them back), named ``<prefix>_*``."""
        owners = [owners for _, _, owners in self._runs]
        return {
            f"{prefix}_sizes": np.array([size for size, _, _ in self._runs], dtype=np.int64),
            f"{prefix}_offsets": np.array([offsets for _, offsets, _ in self._runs], dtype=np.int64),
            f"{prefix}_owners": np.concatenate([np.zeros(0, dtype=np.uint16), *owners]),
            f"{prefix}_owner_starts": np.cumsum([0, *map(len, owners)], dtype=np.int64),
        }

    @classmethod
    def from_arrays(
        cls, strings: Sequence[str], arrays: Mapping[str, npt.NDArray[Any]], prefix: str
    ) -> _TrigramIndex:
        sizes, offsets = arrays[f"{prefix}_sizes"], arrays[f"{prefix}_offsets"]
        owners, starts = arrays[f"{prefix}_owners"], arrays[f"{prefix}_owner_starts"]
        runs = [
            (int(size), offsets[i], owners[starts[i] : starts[i + 1]])
            for i, size in enumerate(sizes.tolist())
        ]
        if sum(size for size, _, _ in runs) != len(strings):
            raise ValueError("the saved postings are of another list of strings")
        return cls(strings, runs)

    def shared(self, text: str) -> Indices:
        """Per string, an upper bound on the padded trigrams it shares with ``text`` (with multiplicity)."""
        first, second, third = _HASH
        pad = ord(_PAD)
        points = [pad, pad, *map(ord, text), pad, pad]
        buckets: dict[int, int] = {}
        for a, b, c in zip(points, points[1:], points[2:], strict=False):
            bucket = ((a * first + b * second + c * third) & 0xFFFFFFFF) >> (32 - _BUCKET_BITS)
            buckets[bucket] = buckets.get(bucket, 0) + 1
        chosen = np.fromiter(buckets, dtype=np.int64, count=len(buckets))
        times = list(buckets.values())
        counts = [np.zeros(0, dtype=np.int64)]
        for size, offsets, owners in self._runs:
            starts, ends = offsets[chosen].tolist(), offsets[chosen + 1].tolist()
            lists = [np.zeros(0, dtype=np.uint16)]
            for start, end, repeat in zip(starts, ends, times, strict=True):
                lists += [owners[start:end]] * repeat
            # bincount casts a uint16 input itself, several times slower than astype
            counts.append(np.bincount(np.concatenate(lists).astype(np.intp), minlength=size))
        return np.concatenate(counts)

    def _candidates(self, text: str, threshold: float, extra: int) -> Indices:
        """Sorted indices: every string whose similarity to ``text`` can reach ``threshold``, and the ``extra``
        strings sharing the largest fraction of the longer string's padded trigrams (ties: lower index)."""
        shared, length = self.shared(text), len(text)
        # Similarity >= t needs d <= (1 - t) * m (m: the longer length), hence m <= length / t and, by the
        # trigram bound, shared >= m + 2 - 3 * (1 - t) * m, which is smallest at the smallest possible m.
        longest = length if threshold >= 2 / 3 else length / max(threshold, 1e-9)
        least = int(np.ceil(2 + (3 * threshold - 2) * longest - 1e-6)) if threshold > 0 else 0
        # The extra strings are ranked among those sharing the most trigrams at all: about twice ``extra`` of
        # them, as estimated on every 16th string (a histogram of all of them costs more than the rest).
        most = np.iinfo(np.int64).max
        if extra > 0:
            at_least = np.cumsum(np.bincount(shared[::16])[::-1])[::-1] * 16
            most = int(np.flatnonzero(at_least >= 2 * extra)[-1]) if at_least[0] >= 2 * extra else 0
        found = np.flatnonzero(shared >= min(least, most))
        common = shared[found]
        if np.count_nonzero(common >= most) < extra:  # the estimate was too high: count them all
            at_least = np.cumsum(np.bincount(shared)[::-1])[::-1]
            most = int(np.flatnonzero(at_least >= extra)[-1])
            found = np.flatnonzero(shared >= min(least, most))
            common = shared[found]
        lengths = self.lengths[found]
        longer = np.maximum(lengths, length)
        fewest_edits = np.maximum(np.abs(lengths - length), -((common - longer - 2) // 3))
        chosen = (common >= least) & (1.0 - fewest_edits / np.maximum(longer, 1) >= threshold)
        if extra > 0:
            fraction = np.where(common >= most, common / (longer + 2), -1.0)
            cut = np.partition(fraction, found.size - extra)[found.size - extra]
            above = fraction > cut
            chosen |= above
            chosen[np.flatnonzero(fraction == cut)[: extra - int(above.sum())]] = True
        return found[chosen]

    def ranked(self, text: str, threshold: float, extra: int) -> tuple[Indices, npt.NDArray[np.float64]]:
        """Candidate indices and their similarities to ``text``, best first, ties by index.

        The candidates hold every string whose similarity reaches ``threshold``, so down to it the ranking is
        that of a full scan; with at most ``extra`` strings, the candidates are all of them.
        """
        if len(self.strings) <= extra:
            found: Indices = np.arange(len(self.strings))
        else:
            found = self._candidates(text, threshold, extra)
        similarity = _similarities(text, _pick(self.strings, found))
        order = np.lexsort((found, -similarity))
        return found[order], similarity[order]


class NameMatcher:
    """Fuzzy lookup over a fixed list of declaration names (indices into that list are returned).

    ``candidates``: strings per index compared beyond those that can score ``EXACT_FROM``; with no more
    names than that, every lookup equals a full scan.
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        candidates: int = CANDIDATES,
        saved: Mapping[str, npt.NDArray[Any]] | None = None,
    ) -> None:
        """``saved``: the ``arrays()`` of a matcher of the same names, instead of building them (~0.5 s for
        Mathlib's names); ``ValueError`` when they do not fit ``names``."""
        self._names = list(names)
        self._candidates = candidates
        if saved is not None:
            if int(saved["checksum"]) != _checksum(self._names):
                raise ValueError("the saved name index is of other names")
            lasts = bytes(saved["lasts"]).decode("utf-8").split("\n") if saved["lasts"].size else []
            self._by_last, self._last_start = saved["by_last"], saved["last_start"]
            self._full_index = _TrigramIndex.from_arrays(self._names, saved, "full")
            self._last_index = _TrigramIndex.from_arrays(lasts, saved, "last")
            return
        last_id: dict[str, int] = {}
        ids = np.array(
            [last_id.setdefault(name.rpartition(".")[2], len(last_id)) for name in self._names],
            dtype=np.int64,
        )
        self._by_last = np.argsort(ids, kind="stable")  # name indices grouped by last component, in order
        self._last_start = np.zeros(len(last_id) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ids, minlength=len(last_id)), out=self._last_start[1:])
        self._full_index = _TrigramIndex(self._names)
        self._last_index = _TrigramIndex(list(last_id))

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Everything but the names, as arrays: ``NameMatcher(names, saved=...)`` reads them back."""
        return {
            "checksum": np.array(_checksum(self._names), dtype=np.int64),
            "lasts": np.frombuffer("\n".join(self._last_index.strings).encode("utf-8"), dtype=np.uint8),
            "by_last": self._by_last,
            "last_start": self._last_start,
            **self._full_index.arrays("full"),
            **self._last_index.arrays("last"),
        }

    @classmethod
    def cached(cls, names: Sequence[str], path: Path) -> NameMatcher:
        """The matcher of ``names``, read from ``path`` when it holds theirs, else built and saved there.

        The file is written atomically; a folder that cannot be written, or a file that is damaged or of
        other names, only costs the build.
        """
        try:
            with np.load(path, allow_pickle=False) as saved:
                return cls(names, saved={key: saved[key] for key in saved.files})
        except FileNotFoundError:
            pass
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.info("name index %s not usable (%s); building it", path, exc)
        matcher = cls(names)
        arrays: dict[str, Any] = matcher.arrays()
        try:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed into place
                dir=path.parent, prefix=path.name + ".", suffix=".tmp", delete=False
            )
        except OSError as exc:
            log.info("name index not saved to %s (%s)", path, exc)
            return matcher
        try:
            with handle:
                np.savez(handle, **arrays)
            os.chmod(
                handle.name, 0o644
            )  # like the rest of the index: readable by other users of a shared cache
            os.replace(handle.name, path)
        except OSError as exc:
            log.info("name index not saved to %s (%s)", path, exc)
            Path(handle.name).unlink(missing_ok=True)
        return matcher

    @property
    def names(self) -> list[str]:
        return self._names

    def lookup(self, query: str, k: int = 5) -> list[tuple[int, float]]:
        """Up to ``k`` (index, similarity in [0, 1]) pairs, best first; an exact match scores 1.

        The pairs scoring at least ``EXACT_FROM`` are those the two full scans gave, in the same order: down
        to ``EXACT_FROM`` (and the matching last-component similarity) the candidates' rankings are those of
        full scans, hence so are the pools' members that high and every score at or above it. The pairs
        below it are the best among the candidates (the same as the full scans' for ~97% of error queries,
        ``bench/names.py``).
        """
        query = query.strip().removeprefix("_root_.").removeprefix("@")
        scores: dict[int, float] = {}

        def offer(index: int, score: float) -> None:
            if score > scores.get(index, -1.0):
                scores[index] = score

        pool = max(4 * k, 20)
        indices, similarities = self._full_index.ranked(query, EXACT_FROM, self._candidates)
        if identical := indices[similarities == 1.0].tolist():
            offer(max(identical), 1.0)  # an exact match; of equal names, the last (as a dict of names keeps)
        for index, similarity in zip(indices[:pool].tolist(), similarities[:pool].tolist(), strict=True):
            offer(index, similarity)
        # a last component below this similarity cannot give a score of EXACT_FROM (the margin covers rounding)
        last_threshold = (EXACT_FROM - _SPACE_WEIGHT) / _LAST_WEIGHT - 1e-9
        lasts, last_similarities = self._last_index.ranked(
            last_component(query), last_threshold, self._candidates
        )
        nearest_lasts = list(zip(lasts[:pool].tolist(), last_similarities[:pool].tolist(), strict=True))
        if len(scores) >= k > 0:
            # names under a last component whose best score stays below the k-th score so far cannot rank
            floor = heapq.nlargest(k, scores.values())[-1]
            nearest_lasts = [
                (last, s) for last, s in nearest_lasts if _LAST_WEIGHT * s + _SPACE_WEIGHT >= floor
            ]
        members = [
            self._by_last[self._last_start[last] : self._last_start[last + 1]] for last, _ in nearest_lasts
        ]
        if members:
            named = np.concatenate(members).tolist()
            # A matching last component in another namespace is a likely rename; the namespace
            # similarity breaks ties between the many namespaces that share a last component.
            space = _similarities(namespace(query), [namespace(self._names[i]) for i in named])
            last = np.repeat([s for _, s in nearest_lasts], [m.size for m in members])
            for index, score in zip(
                named, (_LAST_WEIGHT * last + _SPACE_WEIGHT * space).tolist(), strict=True
            ):
                offer(index, score)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], len(self._names[item[0]]), item[0]))
        return ranked[:k]
