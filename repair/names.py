"""Unknown identifiers replaced by the real names nearest to them (a misspelt lemma, a renamed or moved one).

Pure: the caller passes ``lookup`` (a name → real names, best first; ``Retriever.lookup_name`` or a
``NameMatcher`` over the premise corpus) and checks the variants in Lean. Every whole-token occurrence of an
unknown name is replaced: Lean names only the first one, but a name it cannot resolve is unknown everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prover.lean.failure_kinds import FailureKind, classify
from prover.lean.lexer import TokenKind, tokenize
from prover.types import Frozen, Message, Severity
from retrieval.names import names_in_error

NameLookup = Callable[[str], Sequence[str]]


class NameFix(Frozen):
    """One variant of a text: ``replacements`` (unknown → real) applied to every occurrence."""

    text: str
    replacements: tuple[tuple[str, str], ...]

    @property
    def note(self) -> str:
        return ", ".join(f"{old} -> {new}" for old, new in self.replacements)


def names_in(message: Message) -> list[str]:
    """The unknown names of one error (``names_in_error`` also reads v4.2x's ``Unknown identifier `x` ``)."""
    return names_in_error(message.text)


def unknown_names(errors: Sequence[Message]) -> list[str]:
    """The names of the ``unknown identifier``/``unknown constant`` errors, in file order, each once."""
    found: list[str] = []
    ordered = sorted(errors, key=lambda m: (m.pos.line, m.pos.column))
    for message in ordered:
        if message.severity is not Severity.error or classify(message) is not FailureKind.unknown_identifier:
            continue
        for name in names_in(message):
            if name not in found:
                found.append(name)
    return found


def replace_name(text: str, old: str, new: str) -> str:
    """``text`` with every identifier token spelled ``old`` replaced by ``new`` (comments untouched)."""
    pieces: list[str] = []
    cursor = 0
    for token in tokenize(text):
        if token.kind is TokenKind.ident and token.text == old:
            pieces.append(text[cursor : token.start])
            pieces.append(new)
            cursor = token.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def name_fixes(
    text: str, errors: Sequence[Message], lookup: NameLookup, *, per_name: int = 3
) -> list[NameFix]:
    """Variants of ``text`` with unknown names replaced: each candidate of each name alone, best first, then
    every name's best candidate together (when several names are unknown)."""
    names = unknown_names(errors)
    choices: dict[str, list[str]] = {}
    for name in names:
        candidates = [c for c in lookup(name) if c and c != name][:per_name]
        if candidates:
            choices[name] = candidates
    fixes: list[NameFix] = []
    seen: set[str] = {text}

    def offer(replacements: tuple[tuple[str, str], ...]) -> None:
        variant = text
        for old, new in replacements:
            variant = replace_name(variant, old, new)
        if variant not in seen:
            seen.add(variant)
            fixes.append(NameFix(text=variant, replacements=replacements))

    for name, candidates in choices.items():
        for candidate in candidates:
            offer(((name, candidate),))
    if len(choices) > 1:
        offer(tuple((name, candidates[0]) for name, candidates in choices.items()))
    return fixes
