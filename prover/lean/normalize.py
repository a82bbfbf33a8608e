"""Get Lean code out of LLM output and repair common syntax slips (APOLLO's first stage).

``extract_code`` takes the last ``lean``/``lean4`` fenced block (an unterminated final fence runs to the end),
outside ``<think>`` sections, and drops a theorem header the model repeated without a proof.

``normalize_syntax`` rewrites Lean 3 habits and common slips into Lean 4, never touching comments or strings:
``begin … end`` → ``by``, ``λ x,``/``fun x,``/``assume x,`` → ``fun x =>``/``intro x``, ``rw h`` → ``rw [h]``,
``cases h with a b`` → ``cases' h with a b``, trailing commas after tactics, ``have h : t, by``/``, from`` →
``:= by``/``:=``, ``split`` → ``constructor``, ``{ tac }`` → ``· tac``, and a missing ``:=`` or ``by`` before a
tactic proof. Each rule is a no-op on valid Lean 4, so normalising twice changes nothing.
"""

from __future__ import annotations

import re

from prover.lean.lexer import TokenKind, tokenize
from prover.lean.text import CLOSERS, OPENERS, parse_file

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[ \t]*$", re.MULTILINE)
_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL)
_LEAN_TAGS = frozenset({"lean", "lean4"})
_PLACEHOLDER = "\x00{}\x00"
_OPEN_BINDER = re.compile(r"([∀∃∑∏⋃⋂λΠΣ]|\bfun\b)[^,=]*,$")
_TRAILING_COMMA = re.compile(r",([ \t]*\x00\d+\x00)?[ \t]*$")
_TACTIC_WORDS = frozenset(
    {"intro", "intros", "nlinarith", "linarith", "norm_num", "simp", "simp_all", "field_simp", "ring_nf", "ring",
     "omega", "rw", "rcases", "obtain", "constructor", "apply", "exact", "refine", "induction", "cases",
     "positivity", "decide", "aesop", "unfold", "by_contra", "push_neg", "use", "interval_cases", "nlinarith!"}
)  # fmt: skip


# ------------------------------------------------------------------------------------------- extraction
def _drop_thinking(text: str) -> str:
    if "</think>" in text and "<think>" not in text.split("</think>", 1)[0]:
        text = text.split("</think>", 1)[1]  # the opening tag was part of the prompt
    return _THINK.sub("", text)


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(tag, body) of each fenced block in order; an unterminated last fence runs to the end."""
    blocks: list[tuple[str, str]] = []
    fences = list(_FENCE.finditer(text))
    i = 0
    while i < len(fences):
        opening = fences[i]
        if i + 1 < len(fences) and not fences[i + 1].group(1):
            closing = fences[i + 1]
            blocks.append((opening.group(1).lower(), text[opening.end() + 1 : closing.start()]))
            i += 2
        else:
            blocks.append((opening.group(1).lower(), text[opening.end() + 1 :]))
            i += 1
    return blocks


def _drop_repeated_headers(code: str) -> str:
    """Remove a declaration the model stated twice when the earlier copy has no proof (or only `sorry`)."""
    parsed = parse_file(code)
    removals: list[tuple[int, int]] = []
    for i, declaration in enumerate(parsed.declarations):
        later = [d for d in parsed.declarations[i + 1 :] if d.name and d.name == declaration.name]
        empty = declaration.proof is None or declaration.proof.strip() in (
            "by",
            "sorry",
            "by sorry",
            "by\n  sorry",
        )
        if later and empty:
            removals.append((declaration.span.start_offset, later[0].span.start_offset))
    for start, end in reversed(removals):
        code = code[:start] + code[end:]
    return code


def extract_code(llm_output: str) -> str | None:
    """The Lean code in an LLM answer, or None when it holds none."""
    text = _drop_thinking(llm_output)
    blocks = _fenced_blocks(text)
    lean_blocks = [body for tag, body in blocks if tag in _LEAN_TAGS]
    untagged = [
        body for tag, body in blocks if not tag and re.search(r"\b(theorem|lemma|example)\b|:= by", body)
    ]
    if lean_blocks:
        code = lean_blocks[-1]
    elif untagged:
        code = untagged[-1]
    elif not blocks and re.search(r"^(import|theorem|lemma|example)\b", text, re.MULTILINE):
        code = text[re.search(r"^(import|theorem|lemma|example)\b", text, re.MULTILINE).start() :]  # type: ignore[union-attr]
    else:
        return None
    code = _drop_repeated_headers(code.strip("\n")).rstrip()
    return code + "\n" if code.strip() else None


# ------------------------------------------------------------------------------------------ normaliser
def _protect(text: str) -> tuple[str, list[str]]:
    """Replace comments and strings by placeholders so that the rewrite rules cannot touch them."""
    saved: list[str] = []
    pieces: list[str] = []
    cursor = 0
    for token in tokenize(text):
        if token.is_comment or token.kind in (TokenKind.string, TokenKind.char):
            pieces.append(text[cursor : token.start])
            pieces.append(_PLACEHOLDER.format(len(saved)))
            saved.append(token.text)
            cursor = token.end
    pieces.append(text[cursor:])
    return "".join(pieces), saved


def _restore(text: str, saved: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], text)


def _drop_trailing_commas(text: str) -> str:
    """Remove a comma that ends a line outside brackets (Lean 3 separated tactics with commas)."""
    out: list[str] = []
    depth = 0
    for line in text.split("\n"):
        for token in tokenize(line):
            if token.text in OPENERS:
                depth += 1
            elif token.text in CLOSERS:
                depth = max(0, depth - 1)
        comma = _TRAILING_COMMA.search(line)
        if depth == 0 and comma is not None and not _OPEN_BINDER.search(line[: comma.start() + 1]):
            line = line[: comma.start()] + (comma.group(1) or "")  # `∀ x,` ending a line goes on below
        out.append(line)
    return "\n".join(out)


def _lean3_have(line: str) -> str:
    """``have h : t, by tac`` / ``, from e`` (Lean 3) → ``have h : t := by tac`` / ``:= e``, at bracket depth 0."""
    if not re.match(r"[ \t]*(have|suffices)\b", line) or ":=" in line:
        return line
    depth = 0
    for i, c in enumerate(line):
        if c in "([{⟨":
            depth += 1
        elif c in ")]}⟩":
            depth -= 1
        elif c == "," and depth == 0:
            match = re.match(r",\s*(by|from)\b", line[i:])
            if match is not None:
                replacement = " := by" if match.group(1) == "by" else " :="
                return line[:i] + replacement + line[i + match.end() :]
    return line


def _lean3_blocks(text: str) -> str:
    if not re.search(r"\bbegin\b", text):
        return text
    text = re.sub(r"\bbegin\b", "by", text)
    text = re.sub(r"^[ \t]*end[ \t]*,?[ \t]*(\n|$)", "", text, flags=re.MULTILINE)
    return re.sub(r":=[ \t]*\n[ \t]*by\b", ":= by", text)


def _depth0_by(statement: str) -> int | None:
    """Offset of a ``by`` outside brackets in a statement that lacks its ``:=``."""
    depth = 0
    for token in tokenize(statement):
        if token.text in OPENERS:
            depth += 1
        elif token.text in CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0 and token.text == "by" and token.kind is TokenKind.ident:
            return token.start
    return None


def _missing_proof_keywords(text: str) -> str:
    parsed = parse_file(text)
    edits: list[tuple[int, int, str]] = []
    for declaration in parsed.theorems:
        if declaration.proof is None and declaration.type_span is not None:
            by = _depth0_by(declaration.type)
            if by is not None:
                at = declaration.type_span.start_offset + by
                edits.append((at, at, ":= "))
        elif declaration.proof is not None and declaration.proof_span is not None:
            first_word = re.match(r"[\w!']+", declaration.proof)
            if first_word and first_word.group(0) in _TACTIC_WORDS:
                assign = text.rfind(":=", 0, declaration.proof_span.start_offset) + 2
                edits.append((assign, assign, " by"))
    for start, end, insert in sorted(edits, reverse=True):
        text = text[:start] + insert + text[end:]
    return text


def normalize_syntax(code: str) -> str:
    """Rewrite Lean 3 habits and common LLM slips into Lean 4 (idempotent; comments and strings untouched)."""
    text, saved = _protect(code)
    text = _lean3_blocks(text)
    text = re.sub(r"(λ|\bfun)\s*([^,=\n⟨(\[{]+?)\s*,(?!\s*\n)", r"fun \2 =>", text)
    text = re.sub(r"\bassume\s+([^,:\n]+?)(\s*:[^,\n]*)?,", r"intro \1", text)
    text = re.sub(r"\bassume\s+([^,:\n]+?)\s*$", r"intro \1", text, flags=re.MULTILINE)
    text = re.sub(r"\b(rw|rwa|rewrite|erw)\s+(?!\[)((?:←\s*)?[^\s,\[\]]+)", r"\1 [\2]", text)
    text = "\n".join(_lean3_have(line) for line in text.split("\n"))
    text = re.sub(r"^([ \t]*)split[ \t]*,?[ \t]*$", r"\1constructor", text, flags=re.MULTILINE)
    text = re.sub(r"^([ \t]*)\{[ \t]*([^{}\n]+?)[ \t]*\}[ \t]*,?[ \t]*$", r"\1· \2", text, flags=re.MULTILINE)
    text = _drop_trailing_commas(text)
    text = re.sub(
        r"\b(cases|induction)\s+([^\n|]+?)\s+with\s+(?!\|)([\w'₀-₉ ]*\w[\w'₀-₉]*)[ \t]*$",
        r"\1' \2 with \3",
        text,
        flags=re.MULTILINE,
    )
    text = _restore(text, saved)
    return _missing_proof_keywords(text)
