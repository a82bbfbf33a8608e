"""Surface syntax: what the parser reads from Lean text, before types are known.

Closed union of frozen dataclasses; ``prover.smt.elaborate`` turns it into the typed core
(``prover.smt.core``) following Lean's elaboration rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class SNum:
    value: Fraction
    decimal: bool = False  # written with a point (``0.5``): needs a field in Lean


@dataclass(frozen=True, slots=True)
class SName:
    name: str


@dataclass(frozen=True, slots=True)
class SApp:
    """``fn a b``; also dot notation ``x.card`` / ``s.filter p``, stored as fn ``.card`` with ``x`` first."""

    fn: str
    args: tuple[Surface, ...]


@dataclass(frozen=True, slots=True)
class SBin:
    """Binary operators, relations and connectives, by their Lean symbol (``+``, ``≤``, ``∧``, ``∈``...)."""

    op: str
    left: Surface
    right: Surface


@dataclass(frozen=True, slots=True)
class SChain:
    """A relation chain ``a < b ≤ c``: ``ops[i]`` relates ``items[i]`` and ``items[i + 1]``."""

    ops: tuple[str, ...]
    items: tuple[Surface, ...]


@dataclass(frozen=True, slots=True)
class SUn:
    """Prefix/postfix operators: ``-`` (negation), ``¬``, ``↑`` (cast), ``!`` (factorial), ``⁻¹``, ``√``."""

    op: str
    arg: Surface


@dataclass(frozen=True, slots=True)
class SAscribe:
    """``(e : T)``; ``type_text`` is the type as written."""

    expr: Surface
    type_text: str


@dataclass(frozen=True, slots=True)
class SBinder:
    """``∀``/``∃``/``∑``/``∏``/``fun`` over ``names`` (each with its written type or None).

    ``bound`` is a binder predicate: (``∈``, set) for ``∀ x ∈ s``, (``>``, e) for ``∃ x > e``.
    """

    kind: str
    names: tuple[tuple[str, str | None], ...]
    bound: tuple[str, Surface] | None
    body: Surface


Surface = SNum | SName | SApp | SBin | SChain | SUn | SAscribe | SBinder
