"""What a premise is indexed as: its name, an English gloss of the name, the signature without clutter, its doc.

Instance binders (``[PosMulMono R]``), implicit and strict-implicit binders (``{a b : α}``, ``⦃x⦄``) and
explicit binders that only declare a variable of a bare type (``(a : R)``) say nothing a user asks for, so
they are left out; explicit hypotheses (``(h : 0 ≤ x)``) and the conclusion stay. The gloss spells the name's
abbreviations in English following Mathlib's naming convention (``sq_nonneg`` -> ``square nonnegative``);
the table is the data file ``data/name_glossary.toml``. BM25 indexes the name, gloss, signature and doc;
the dense encoder the same without the raw name.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from prover.types import Premise
from retrieval.tokenize import split_identifier

_OPEN = {"(": ")", "[": "]", "{": "}", "⦃": "⦄"}
_BARE_TYPE = re.compile(r"^[A-Za-zα-ωΑ-Ω𝕜𝕂][\w'₀-₉]*$")
_LEADING_FORALL = re.compile(r"∀\s*((?:\s*(?:\{[^{}]*\}|\[[^\[\]]*\]|⦃[^⦃⦄]*⦄))+)\s*,\s*")


@cache
def glossary() -> dict[str, str]:
    """Lower-case name component -> English (``data/name_glossary.toml``, loaded once)."""
    source = resources.files("retrieval").joinpath("data/name_glossary.toml").read_text(encoding="utf-8")
    table = tomllib.loads(source)["gloss"]
    return {str(key): str(value) for key, value in table.items()}


def gloss_name(name: str) -> str:
    """``Nat.Prime.two_le`` -> ``natural number prime two less than or equal``."""
    table = glossary()
    words = [table.get(part, part) for part in split_identifier(name)]
    return " ".join(words)


def _binder_end(text: str, start: int) -> int:
    """Index just past the bracket group opening at ``start`` (``len(text)`` when unbalanced)."""
    depth = 0
    for i in range(start, len(text)):
        char = text[i]
        if char in _OPEN:
            depth += 1
        elif char in _OPEN.values():
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _keep_explicit(body: str) -> bool:
    """An explicit binder is kept unless it only declares variables of a bare type (``a b : R``)."""
    names, sep, type_ = body.partition(":")
    if not sep:
        return True
    return not _BARE_TYPE.match(type_.strip()) or not names.strip()


def strip_signature(signature: str) -> str:
    """The signature with leading instance/implicit binders and bare variable declarations removed."""
    kept: list[str] = []
    i = 0
    text = signature.strip()
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char not in _OPEN:
            break
        end = _binder_end(text, i)
        group = text[i:end]
        if char == "(" and _keep_explicit(group[1:-1]):
            kept.append(group)
        i = end
    rest = text[i:]
    # `: ∀ {p : ℕ} [Fact p], P` keeps only `P`: the binders are implicit clutter there too.
    rest = _LEADING_FORALL.sub("", rest, count=1) if rest.startswith(": ∀") else rest
    return " ".join([*kept, rest]).strip()


def indexed_body(premise: Premise) -> str:
    """The gloss of the name and the stripped signature (what BM25 indexes besides the name and doc)."""
    return " | ".join(part for part in (gloss_name(premise.name), strip_signature(premise.signature)) if part)


def indexed_text(premise: Premise) -> str:
    """The text the dense encoder embeds for ``premise``: gloss, stripped signature, docstring.

    The raw name is left out: the gloss says the same in words the encoder knows, and the name's word
    pieces would cost a dozen tokens per premise (BM25 indexes the name itself).
    """
    return " | ".join(part for part in (indexed_body(premise), premise.doc) if part)
