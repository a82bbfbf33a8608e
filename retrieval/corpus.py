"""The premise corpus: JSONL(.gz) rows read into ``Premise`` values, filtered, and fingerprinted.

Two row shapes are accepted. The shared regex corpus (``../shared/datasets/premises``) has ``attrs`` as the
source text before the keyword (``@[simp] protected``) and ``file`` instead of ``module``. The Lean dump
(``lean_project/scripts/dump_premises.lean``) has ``module`` and the flags ``private``/``deprecated``/``simp``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from prover.errors import CorpusError
from prover.types import Premise

_ATTR_GROUP = re.compile(r"@\[(?P<body>(?:[^\[\]]|\[[^\[\]]*\])*)\]")
_MODIFIERS = ("private", "protected", "nonrec", "noncomputable", "unsafe", "partial")
_SIMP = re.compile(r"(?<![\w.])simp(?![\w])")


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _split_top_level(body: str) -> list[str]:
    """Split an attribute list on commas outside parentheses and brackets."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in body:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def parse_attrs(text: str) -> tuple[str, ...]:
    """Attribute and modifier text as written in source (``@[simp, norm_cast] protected``) to a tuple."""
    attrs: list[str] = []
    for match in _ATTR_GROUP.finditer(text):
        attrs.extend(_split_top_level(match.group("body")))
    rest = _ATTR_GROUP.sub(" ", text)
    attrs.extend(word for word in rest.split() if word in _MODIFIERS)
    return tuple(attrs)


def _module_of_file(file: str) -> str:
    return file.removesuffix(".lean").replace("/", ".") if file else ""


def premise_from_row(row: dict[str, Any]) -> Premise:
    """One corpus row to a Premise; raises ``KeyError``/``TypeError``/``ValueError`` on a malformed row."""
    name = row["name"]
    if not isinstance(name, str) or not name:
        raise ValueError("field 'name' must be a non-empty string")
    raw_attrs = row.get("attrs", ())
    attrs = parse_attrs(raw_attrs) if isinstance(raw_attrs, str) else tuple(str(a) for a in raw_attrs)
    return Premise(
        name=name,
        signature=str(row.get("signature") or ""),
        doc=str(row.get("doc") or ""),
        module=str(row.get("module") or _module_of_file(str(row.get("file") or ""))),
        attrs=attrs,
        private=bool(row.get("private", False)) or "private" in attrs,
        deprecated=bool(row.get("deprecated", False)) or any(a.startswith("deprecated") for a in attrs),
        simp=bool(row.get("simp", False)) or any(_SIMP.search(a) for a in attrs),
    )


def iter_corpus(path: Path) -> Iterator[Premise]:
    """Every premise of a JSONL(.gz) corpus in file order. Raises ``CorpusError`` naming the file and line."""
    if not path.is_file():
        raise CorpusError("corpus file not found", where=str(path))
    count = 0
    try:
        with _open_text(path) as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict):
                        raise ValueError("a row must be a JSON object")
                    premise = premise_from_row(row)
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                    raise CorpusError(f"corrupt corpus row: {detail}", where=f"{path}:{line_no}") from exc
                count += 1
                yield premise
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CorpusError(f"cannot read corpus: {exc}", where=str(path)) from exc
    if count == 0:
        raise CorpusError("corpus is empty (no premise rows)", where=str(path))


def keep_premise(premise: Premise, *, include_private: bool, include_deprecated: bool) -> bool:
    return (include_private or not premise.private) and (include_deprecated or not premise.deprecated)


def load_corpus(
    path: Path, *, include_private: bool = False, include_deprecated: bool = False
) -> list[Premise]:
    """The usable premises of a corpus file, first occurrence of each name kept (duplicates are dropped)."""
    seen: set[str] = set()
    premises: list[Premise] = []
    for premise in iter_corpus(path):
        if premise.name in seen:
            continue
        if keep_premise(premise, include_private=include_private, include_deprecated=include_deprecated):
            seen.add(premise.name)
            premises.append(premise)
    if not premises:
        raise CorpusError("no premise left after dropping private and deprecated rows", where=str(path))
    return premises


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hash of the corpus file's bytes: the cache key of every index built from it."""
    if not path.is_file():
        raise CorpusError("corpus file not found", where=str(path))
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(chunk_size), b""):
                digest.update(chunk)
    except OSError as exc:
        raise CorpusError(f"cannot read corpus: {exc.strerror}", where=str(path)) from exc
    return digest.hexdigest()


def write_corpus(premises: Iterable[Premise], path: Path) -> int:
    """Write premises as JSONL (the Lean dump's shape); returns the number of rows."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for premise in premises:
            handle.write(json.dumps(premise.model_dump(mode="json"), ensure_ascii=False) + "\n")
            count += 1
    return count
