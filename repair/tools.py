"""Tool correction (Lyra): where an automation tactic failed, try the other automation tactics in its place.

A site is the failing tactic with its arguments (``nlinarith [sq_nonneg (a - b)]``, ``norm_num at h``): the
tactic Lean's error points at, or the last step of a ``by`` block Lean reports ``unsolved goals`` on. The
replacements are Z3's hints first (closing tactics in likely order: for the site's own goal, see
``repair.local_goal``, then for the whole goal), then the failing tactic's partner with its own arguments
(``linarith [h]`` ↔ ``nlinarith [h]``), then the configured alternatives, each once; a tactic the
forbidden-construct scan rejects (``native_decide`` and friends unless allowed, anything that is not a plain
tactic) is never offered, so correction cannot bring in what the scan keeps out of answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from prover.lean.failure_kinds import FailureKind, classify
from prover.lean.guard import scan_forbidden
from prover.lean.lexer import Token, tokenize
from prover.lean.tactic_blocks import BlockReader
from prover.lean.text import CLOSERS, OPENERS, LineIndex
from prover.types import Frozen, Message, Severity

AUTOMATION = frozenset(
    {
        "linarith",
        "nlinarith",
        "polyrith",
        "norm_num",
        "simp",
        "simp_all",
        "simp_arith",
        "omega",
        "positivity",
        "field_simp",
        "ring",
        "ring_nf",
        "aesop",
        "decide",
        "tauto",
        "bound",
        "norm_cast",
        "push_cast",
        "exact_mod_cast",
        "nlinarith!",
        "linarith!",
    }
)
_STOPS = frozenset({"<;>", ";", "<|>", "|"})


class ToolSite(Frozen):
    """A failing automation tactic: ``text[start:end]`` is ``tactic`` (with its arguments)."""

    start: int
    end: int
    tactic: str
    message: Message | None = None  # the (first) error that points at it


class ToolVariant(Frozen):
    site: ToolSite
    tactic: str  # what replaces the site
    text: str


def allowed_tactics(tactics: Sequence[str], *, allow_native_decide: bool) -> list[str]:
    """``tactics`` in order, each once (layout aside), without the ones the forbidden-construct scan rejects."""
    seen: set[str] = set()
    kept: list[str] = []
    for tactic in tactics:
        key = " ".join(tactic.split())
        if not key or key in seen:
            continue
        seen.add(key)
        if scan_forbidden(tactic, allow_sorry=False, allow_native_decide=allow_native_decide):
            continue
        kept.append(tactic.strip())
    return kept


def _extent(text: str, code: Sequence[Token], first: int) -> int:
    """End offset of the tactic starting at ``code[first]``: up to a new line, ``;``/``<;>``, or a closer."""
    depth = 0
    end = code[first].end
    for token in code[first + 1 :]:
        if depth == 0:
            line_start = text.rfind("\n", 0, token.start) + 1
            if not text[line_start : token.start].strip() or token.text in _STOPS or token.text in CLOSERS:
                break
        if token.text in OPENERS:
            depth += 1
        elif token.text in CLOSERS:
            depth -= 1
        end = token.end
    return end


def _head(code: Sequence[Token], i: int) -> str:
    """The tactic name at ``code[i]`` (``linarith!`` is two tokens)."""
    word = code[i].text
    if i + 1 < len(code) and code[i + 1].text == "!" and code[i + 1].start == code[i].end:
        return word + "!"
    return word


def failing_sites(text: str, errors: Sequence[Message]) -> list[ToolSite]:
    """The automation tactics the error-severity ``errors`` point at, in file order, each once."""
    index = LineIndex(text)
    code = [t for t in tokenize(text) if not t.is_comment]
    reader = BlockReader(text, code, index)
    sites: dict[int, ToolSite] = {}
    for message in errors:
        if message.severity is not Severity.error:
            continue
        try:
            offset = index.offset(message.pos)
        except ValueError:
            continue
        i = reader.token_at(offset)
        if i >= len(code):
            continue
        if code[i].text == "by" and classify(message) is FailureKind.unsolved_goals:
            steps = reader.steps(i + 1, len(code))
            if not steps:
                continue
            i = steps[-1].first
        if _head(code, i) not in AUTOMATION:
            continue
        start = code[i].start
        end = _extent(text, code, i)
        sites.setdefault(start, ToolSite(start=start, end=end, tactic=text[start:end], message=message))
    return [sites[k] for k in sorted(sites)]


_PARTNERS = {
    "linarith": "nlinarith",
    "nlinarith": "linarith",
    "linarith!": "nlinarith!",
    "nlinarith!": "linarith!",
}


def partner_tactics(site: ToolSite) -> list[str]:
    """``linarith`` ↔ ``nlinarith`` with the site's own arguments (the hint terms usually still apply)."""
    head = site.tactic.split(None, 1)[0] if site.tactic.strip() else ""
    partner = _PARTNERS.get(head)
    if partner is None:
        return []
    return [partner + site.tactic[len(head) :]]


def tool_variants(text: str, site: ToolSite, tactics: Sequence[str]) -> list[ToolVariant]:
    """``text`` with the site replaced by each of ``tactics`` (not by the tactic that failed)."""
    failed = " ".join(site.tactic.split())
    return [
        ToolVariant(site=site, tactic=tactic, text=text[: site.start] + tactic + text[site.end :])
        for tactic in tactics
        if " ".join(tactic.split()) != failed
    ]
