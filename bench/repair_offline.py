"""Repair without Lean: inject one realistic fault into each published miniF2F proof, place Lean's error at the
fault, and measure what repair's text stages make of it.

    python bench/repair_offline.py [--datasets ../shared/datasets] [--limit N] [--seed 0]

Faults (one of each kind per proof where the proof allows it; the theorem named by the row only):

- ``name_typo``: a lemma name of the premise corpus one edit away (delete, substitute, insert, swap), so that
  the result is no corpus name; error ``unknown identifier 'X'`` at it;
- ``namespace_swap``: ``Nat.foo`` → ``Int.foo`` (among common namespaces) where that is no corpus name;
- ``linarith_swap``: ``linarith`` ↔ ``nlinarith`` (arguments kept); error ``linarith failed`` at it;
- ``deleted_step``: the last step of a ``by`` block of at least two steps deleted; ``unsolved goals`` at the
  block's ``by``;
- ``lean3_syntax``: one Lean 3 habit (``rw h``, ``λ x,``, a trailing comma, ``split``, ``cases … with``,
  ``have h : t, by``); a syntax error at it.

Per fault kind it prints: how many proofs got the fault; the share where one round of ``repair.cut`` changes the
text only inside the top-level step holding the fault (every other step byte for byte, or only a final ``sorry``
appended), and how it cut (a step's proof to ``sorry`` keeping its statement, the last step to ``sorry``, an
earlier step commented out, a final ``sorry``); and the share where a text stage restores the original file exactly: the normaliser, the name lookup
(``NameMatcher`` over the premise corpus, as ``Retriever.lookup_name`` does; top 1, and within the 3 variants
repair checks in one batch), tool correction (within its batch). No Lean runs: "restores" means the text is
byte-identical to the published proof, not that Lean accepted anything.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prover.data.minif2f import PROOF_FILES, load_published_proofs  # noqa: E402
from prover.lean.lexer import Token, TokenKind, tokenize  # noqa: E402
from prover.lean.normalize import normalize_syntax  # noqa: E402
from prover.lean.tactic_blocks import BlockReader, Step  # noqa: E402
from prover.lean.text import Declaration, LineIndex, parse_file  # noqa: E402
from prover.types import Message, Severity  # noqa: E402
from repair.cut import CutKind, cut_failures  # noqa: E402
from repair.names import replace_name  # noqa: E402
from repair.tools import allowed_tactics, failing_sites, partner_tactics, tool_variants  # noqa: E402
from retrieval.corpus import load_corpus  # noqa: E402
from retrieval.names import NameMatcher  # noqa: E402

FAULTS = ("name_typo", "namespace_swap", "linarith_swap", "deleted_step", "lean3_syntax")
NAMESPACES = ("Nat", "Int", "Real", "Rat", "Complex", "Finset", "NNReal", "ENNReal", "Polynomial", "ZMod")
CORPUS = "premises/mathlib_theorems_2c4e038a.jsonl.gz"
ALTERNATIVES = ("nlinarith", "linarith", "norm_num", "positivity", "omega", "simp", "field_simp", "ring_nf")


@dataclass(frozen=True)
class Fault:
    kind: str
    original: str
    faulted: str
    offset: int  # where Lean's error is placed, in ``faulted``
    message: str
    renamed: tuple[str, str] | None = None  # (faulted name, original name)
    detail: str = ""


@dataclass(frozen=True)
class Theorem:
    text: str
    declaration: Declaration
    code: list[Token]  # comment-free tokens
    proof_tokens: list[int]  # indices into code inside the proof

    @property
    def reader(self) -> BlockReader:
        return BlockReader(self.text, self.code, LineIndex(self.text))


def theorem_of(text: str, name: str) -> Theorem | None:
    tokens = tokenize(text)
    parsed = parse_file(text, tokens=tokens)
    declaration = parsed.find(name) or (parsed.theorems[-1] if parsed.theorems else None)
    if declaration is None or declaration.proof_span is None or not declaration.is_tactic_proof:
        return None
    code = [t for t in tokens if not t.is_comment]
    span = declaration.proof_span
    inside = [i for i, t in enumerate(code) if span.start_offset <= t.start < span.end_offset]
    return Theorem(text=text, declaration=declaration, code=code, proof_tokens=inside)


def _error(text: str, offset: int, message: str) -> Message:
    return Message(severity=Severity.error, pos=LineIndex(text).pos(offset), text=message)


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


# ------------------------------------------------------------------------------------------ injection
def _one_edit(name: str, rng: random.Random, names: set[str]) -> str | None:
    head, dot, last = name.rpartition(".")
    letters = "abcdefghijklmnopqrstuvwxyz_"
    for _ in range(20):
        if len(last) < 3:
            return None
        i = rng.randrange(len(last))
        op = rng.choice(("delete", "substitute", "insert", "transpose"))
        if op == "delete":
            new = last[:i] + last[i + 1 :]
        elif op == "substitute":
            new = last[:i] + rng.choice(letters.replace(last[i], "")) + last[i + 1 :]
        elif op == "insert":
            new = last[:i] + rng.choice(letters) + last[i:]
        else:
            if i + 1 >= len(last) or last[i] == last[i + 1]:
                continue
            new = last[:i] + last[i + 1] + last[i] + last[i + 2 :]
        typo = f"{head}{dot}{new}"
        if typo not in names and new and not new[0].isdigit():
            return typo
    return None


def _name_tokens(theorem: Theorem, names: set[str]) -> list[Token]:
    return [
        theorem.code[i]
        for i in theorem.proof_tokens
        if theorem.code[i].kind is TokenKind.ident
        and theorem.code[i].text in names
        and len(theorem.code[i].text) >= 5
    ]


def name_typo(theorem: Theorem, rng: random.Random, names: set[str]) -> Fault | None:
    candidates = _name_tokens(theorem, names)
    rng.shuffle(candidates)
    for token in candidates:
        typo = _one_edit(token.text, rng, names)
        if typo is None:
            continue
        faulted = replace_name(theorem.text, token.text, typo)
        first = faulted.index(typo, theorem.declaration.proof_span.start_offset)  # type: ignore[union-attr]
        return Fault(
            "name_typo", theorem.text, faulted, first, f"unknown identifier '{typo}'", (typo, token.text)
        )
    return None


def namespace_swap(theorem: Theorem, rng: random.Random, names: set[str]) -> Fault | None:
    candidates = [
        t for t in _name_tokens(theorem, names) if t.text.split(".", 1)[0] in NAMESPACES and "." in t.text
    ]
    rng.shuffle(candidates)
    for token in candidates:
        space, rest = token.text.split(".", 1)
        others = [n for n in NAMESPACES if n != space and f"{n}.{rest}" not in names]
        if not others:
            continue
        swapped = f"{rng.choice(others)}.{rest}"
        faulted = replace_name(theorem.text, token.text, swapped)
        first = faulted.index(swapped, theorem.declaration.proof_span.start_offset)  # type: ignore[union-attr]
        message = f"unknown identifier '{swapped}'"
        return Fault("namespace_swap", theorem.text, faulted, first, message, (swapped, token.text))
    return None


def linarith_swap(theorem: Theorem, rng: random.Random, names: set[str]) -> Fault | None:
    del names
    candidates = [
        theorem.code[i] for i in theorem.proof_tokens if theorem.code[i].text in ("linarith", "nlinarith")
    ]
    if not candidates:
        return None
    token = rng.choice(candidates)
    other = "nlinarith" if token.text == "linarith" else "linarith"
    faulted = _replace(theorem.text, token.start, token.end, other)
    message = "linarith failed to find a contradiction\ncase a\n⊢ False"
    return Fault(
        "linarith_swap", theorem.text, faulted, token.start, message, detail=f"{token.text} -> {other}"
    )


def _blocks(theorem: Theorem) -> list[tuple[int, list[Step]]]:
    """(the ``by`` token, its steps) for every tactic block of the proof."""
    reader = theorem.reader
    stop = reader.token_at(theorem.declaration.proof_span.end_offset)  # type: ignore[union-attr]
    found = []
    for i in theorem.proof_tokens:
        if theorem.code[i].text == "by" and i + 1 < stop:
            found.append((i, reader.steps(i + 1, stop)))
    return found


def deleted_step(theorem: Theorem, rng: random.Random, names: set[str]) -> Fault | None:
    del names
    blocks = [(by, steps) for by, steps in _blocks(theorem) if len(steps) >= 2]
    if not blocks:
        return None
    by, steps = rng.choice(blocks)
    previous, last = steps[-2], steps[-1]
    faulted = _replace(theorem.text, previous.end, last.end, "")
    message = "unsolved goals\n⊢ the goal the deleted step closed"
    removed = " ".join(theorem.text[last.start : last.end].split())[:40]
    return Fault("deleted_step", theorem.text, faulted, theorem.code[by].start, message, detail=removed)


def _lean3_edits(theorem: Theorem) -> list[tuple[str, int, int, str, int]]:
    """(habit, start, end, replacement, error offset relative to start) for every place a habit fits."""
    code, text = theorem.code, theorem.text
    edits: list[tuple[str, int, int, str, int]] = []
    inside = theorem.proof_tokens
    for n, i in enumerate(inside):
        token = code[i]
        following = code[i + 1 : i + 5]
        if (
            token.text in ("rw", "rwa")
            and len(following) >= 3
            and following[0].text == "["
            and following[2].text == "]"
        ):
            arg = following[1].text
            edits.append(("rw h", token.start, following[2].end, f"{token.text} {arg}", len(token.text) + 1))
        elif (
            token.text == "fun"
            and len(following) >= 2
            and following[1].text == "=>"
            and following[0].kind is TokenKind.ident
        ):
            edits.append(
                ("λ x,", token.start, following[1].end, f"λ {following[0].text},", 3 + len(following[0].text))
            )
        elif token.text == "constructor" and text[token.end : token.end + 1] in ("\n", ""):
            edits.append(("split", token.start, token.end, "split", 0))
        elif token.text == "cases'" and any(t.text == "with" for t in following):
            edits.append(("cases … with", token.start, token.end, "cases", 0))
        elif token.text == ":=" and n + 1 < len(inside) and code[inside[n + 1]].text == "by":
            line_start = text.rfind("\n", 0, token.start) + 1
            by = code[inside[n + 1]]
            if (
                text[line_start : token.start].lstrip().startswith("have ")
                and text[by.end : by.end + 1] == "\n"
            ):
                edits.append(("have h : t, by", token.start - 1, by.end, ", by", 0))
    reader = theorem.reader
    for by, steps in _blocks(theorem):
        del by
        for step in steps[:-1]:
            if text[step.end : step.end + 1] == "\n" and code[reader.token_at(step.end - 1)].text not in (
                ",",
            ):
                edits.append(("trailing comma", step.end, step.end, ",", 0))
                break
    return edits


def lean3_syntax(theorem: Theorem, rng: random.Random, names: set[str]) -> Fault | None:
    del names
    edits = _lean3_edits(theorem)
    if not edits:
        return None
    habits = sorted({e[0] for e in edits})
    habit = rng.choice(habits)
    _, start, end, new, error_at = rng.choice([e for e in edits if e[0] == habit])
    faulted = _replace(theorem.text, start, end, new)
    return Fault(
        "lean3_syntax",
        theorem.text,
        faulted,
        start + error_at,
        "unexpected token; expected term",
        detail=habit,
    )


INJECT: dict[str, Callable[[Theorem, random.Random, set[str]], Fault | None]] = {
    "name_typo": name_typo,
    "namespace_swap": namespace_swap,
    "linarith_swap": linarith_swap,
    "deleted_step": deleted_step,
    "lean3_syntax": lean3_syntax,
}


# ------------------------------------------------------------------------------------------ measuring
def sorrify_keeps_the_rest(fault: Fault, name: str) -> tuple[bool, set[str]]:
    """Whether one cut round edits only the top-level step holding the fault (or only appends a final sorry),
    and how it cut (the edit kinds)."""
    theorem = theorem_of(fault.faulted, name)
    if theorem is None:
        return False, set()
    reader = theorem.reader
    span = theorem.declaration.proof_span
    assert span is not None
    by = reader.token_at(span.start_offset)
    steps = reader.steps(by + 1, reader.token_at(span.end_offset))
    cut = cut_failures(fault.faulted, [_error(fault.faulted, fault.offset, fault.message)])
    kinds = {edit.kind.value for edit in cut.edits}
    if not cut.changed:
        return False, kinds
    holder = next((s for s in steps if s.start <= fault.offset <= s.end), None)
    if holder is None:
        start = end = steps[-1].end if steps else span.end_offset
    else:
        start, end = holder.start, holder.end
    return cut.text.startswith(fault.faulted[:start]) and cut.text.endswith(fault.faulted[end:]), kinds


def name_restores(fault: Fault, matcher: NameMatcher, k: int = 3) -> int:
    """Rank (1-based) of the first of the ``k`` nearest names that restores the original file; 0 if none."""
    if fault.renamed is None:
        return 0
    wrong, _ = fault.renamed
    for rank, (index, _score) in enumerate(matcher.lookup(wrong, k), start=1):
        if replace_name(fault.faulted, wrong, matcher.names[index]) == fault.original:
            return rank
    return 0


def tools_restore(fault: Fault) -> bool:
    error = _error(fault.faulted, fault.offset, fault.message)
    for site in failing_sites(fault.faulted, [error]):
        tactics = allowed_tactics([*partner_tactics(site), *ALTERNATIVES], allow_native_decide=False)
        if any(v.text == fault.original for v in tool_variants(fault.faulted, site, tactics)):
            return True
    return False


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    –"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--limit", type=int, default=0, help="proofs per release file (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = args.datasets / "minif2f-proofs"
    corpus_path = args.datasets / CORPUS
    if not folder.is_dir() or not corpus_path.is_file():
        parser.error(f"need {folder} and {corpus_path}")
    started = time.perf_counter()
    premises = load_corpus(corpus_path)
    all_names = {p.name for p in premises}
    matcher = NameMatcher([p.name for p in premises])
    print(
        f"premise corpus: {len(premises)} names (private and deprecated dropped), {time.perf_counter() - started:.1f}s"
    )

    rng = random.Random(args.seed)
    proofs = []
    for stem in PROOF_FILES:
        rows = load_published_proofs(folder / f"{stem}.jsonl")
        proofs += [(stem, p) for p in (rows[: args.limit] if args.limit else rows)]
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in FAULTS}
    habits: Counter[str] = Counter()
    habits_restored: Counter[str] = Counter()
    parsed = idempotent = 0
    lookup_s = 0.0
    for _stem, published in proofs:
        theorem = theorem_of(published.proof, published.name)
        if theorem is None:
            continue
        parsed += 1
        idempotent += normalize_syntax(published.proof) == published.proof
        for kind in FAULTS:
            fault = INJECT[kind](theorem, rng, all_names)
            if fault is None:
                continue
            c = counts[kind]
            c["n"] += 1
            kept, cut_kinds = sorrify_keeps_the_rest(fault, published.name)
            c["sorrify"] += kept
            for cut_kind in cut_kinds:
                c[f"cut:{cut_kind}"] += 1
            normalised = normalize_syntax(fault.faulted) == fault.original
            c["normaliser"] += normalised
            tick = time.perf_counter()
            rank = name_restores(fault, matcher, 3) if fault.renamed is not None else 0
            lookup_s += time.perf_counter() - tick
            top1, top3 = rank == 1, rank >= 1
            c["name1"] += top1
            c["name3"] += top3
            tools = tools_restore(fault)
            c["tools"] += tools
            c["any"] += normalised or top3 or tools
            if kind == "lean3_syntax":
                habits[fault.detail] += 1
                habits_restored[fault.detail] += normalised

    print(
        f"{len(proofs)} published proofs, {parsed} with a tactic proof of the named theorem; "
        f"normaliser leaves {pct(idempotent, parsed).strip()} of the originals unchanged; seed {args.seed}\n"
    )
    header = ["fault", "proofs", "sorrify keeps rest", "normaliser restores", "names top-1", "names top-3",
              "tool swap restores", "any text stage"]  # fmt: skip
    rows = []
    for kind in FAULTS:
        c = counts[kind]
        rows.append([kind, str(c["n"]), pct(c["sorrify"], c["n"]), pct(c["normaliser"], c["n"]),
                     pct(c["name1"], c["n"]), pct(c["name3"], c["n"]), pct(c["tools"], c["n"]), pct(c["any"], c["n"])])  # fmt: skip
    print(table(header, rows))
    print("\nHow one cut round treated the fault (share of faulted proofs whose cut used each edit):")
    kinds = [k.value for k in CutKind]
    print(
        table(
            ["fault", *kinds],
            [[kind, *(pct(counts[kind][f"cut:{k}"], counts[kind]["n"]) for k in kinds)] for kind in FAULTS],
        )
    )
    print("\nLean 3 habits (normaliser restores the original exactly):")
    print(
        table(
            ["habit", "proofs", "restored"],
            [[h, str(n), pct(habits_restored[h], n)] for h, n in sorted(habits.items())],
        )
    )
    lookups = counts["name_typo"]["n"] + counts["namespace_swap"]["n"]
    print(
        f"\nname lookups: {lookups}, {1000 * lookup_s / max(1, lookups):.0f} ms each (3 nearest names over the corpus)"
    )
    print(f"total {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
