"""Parse a Lean 4 file into its header and its declarations, with REPL positions.

The parser is a command splitter, not a Lean parser: a command starts at a command keyword (``theorem``,
``lemma``, ``def``, ``#eval``, ...) outside brackets, or at a line-leading ``open``/``set_option``/``end``/
modifier in column 0. That is how Lean itself ends a proof, since command keywords are reserved tokens. Inside a
declaration the statement colon is the first ``:`` outside brackets after the name, and the proof starts at the
first ``:=`` outside brackets after it. Comments, doc comments and strings never count (see ``lexer``).

The header is the run of leading ``import``/``open``/``set_option``/``namespace``/``section``/``variable``/
``universe`` commands (and the comments among them); ``header + rest`` is always the original text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from prover.lean.lexer import Token, TokenKind, tokenize
from prover.types import Frozen, Pos

THEOREM_KINDS = frozenset({"theorem", "lemma", "example"})
DECLARATION_KINDS = frozenset(
    {"theorem", "lemma", "example", "def", "abbrev", "axiom", "opaque", "instance", "structure", "inductive",
     "class"}
)  # fmt: skip
# Command keywords that end whatever precedes them wherever they stand outside brackets.
COMMAND_KEYWORDS = DECLARATION_KINDS | frozenset(
    {"namespace", "section", "import", "universe", "mutual", "macro", "macro_rules", "syntax", "elab",
     "elab_rules", "notation", "infix", "infixl", "infixr", "prefix", "postfix", "run_cmd", "run_elab",
     "run_meta", "initialize", "builtin_initialize", "declare_syntax_cat", "deriving"}
)  # fmt: skip
# Words that start a command only at the start of a line in column 0 (they also occur inside proofs).
LINE_COMMAND_KEYWORDS = frozenset(
    {"open", "set_option", "end", "variable", "attribute", "noncomputable", "private", "protected", "unsafe",
     "partial", "nonrec", "local", "scoped", "@[", "include", "omit", "export"}
)  # fmt: skip
MODIFIERS = frozenset({"private", "protected", "noncomputable", "unsafe", "partial", "nonrec"})
HEADER_KEYWORDS = frozenset({"import", "open", "set_option", "namespace", "section", "variable", "universe"})
OPENERS = frozenset({"(", "[", "{", "⟨", "⦃", "@[", "%[", "#[", "⟪", "‹"})
CLOSERS = frozenset({")", "]", "}", "⟩", "⦄", "⟫", "›"})
PROOF_SUFFIX_KEYWORDS = frozenset({"where", "termination_by", "decreasing_by"})


# ------------------------------------------------------------------------------------------ positions
_NEWLINE = re.compile("\n")


class Span(Frozen):
    """A range of Lean text: REPL positions (1-based line, 0-based column) and the matching offsets."""

    start: Pos
    end: Pos
    start_offset: int
    end_offset: int

    def text_of(self, text: str) -> str:
        return text[self.start_offset : self.end_offset]


class LineIndex:
    """Offset <-> position conversion for one text, built once (a lookup is a binary search)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def pos(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return Pos(line=line + 1, column=offset - self.line_starts[line])

    def offset(self, pos: Pos) -> int:
        if not 1 <= pos.line <= len(self.line_starts):
            raise ValueError(f"line {pos.line} outside 1..{len(self.line_starts)}")
        return self.line_starts[pos.line - 1] + pos.column

    def span(self, start: int, end: int) -> Span:
        return Span(start=self.pos(start), end=self.pos(end), start_offset=start, end_offset=end)

    def column(self, offset: int) -> int:
        return offset - self.line_starts[bisect.bisect_right(self.line_starts, offset) - 1]

    def line_start(self, offset: int) -> int:
        return self.line_starts[bisect.bisect_right(self.line_starts, offset) - 1]


def pos_of(text: str, offset: int) -> Pos:
    return LineIndex(text).pos(offset)


def offset_of(text: str, pos: Pos) -> int:
    return LineIndex(text).offset(pos)


# ---------------------------------------------------------------------------------------------- values
class Declaration(Frozen):
    """One declaration. Texts are exact slices of the file; ``span`` covers doc comment and modifiers too."""

    kind: str
    name: str  # "" for `example` and anonymous instances
    namespace: str = ""
    doc: str | None = None
    modifiers: str = ""  # attributes, `private`, `open … in`, ... between doc comment and keyword
    binders: str
    type: str  # the statement after the colon; "" when there is no colon
    signature: str  # from the keyword to just before `:=`
    proof: str | None  # after `:=` up to a trailing `where`/`termination_by` clause
    where_clause: str = ""
    span: Span
    keyword_span: Span
    binders_span: Span
    type_span: Span | None
    signature_span: Span
    proof_span: Span | None
    sorries: tuple[Span, ...] = ()

    @property
    def has_sorry(self) -> bool:
        return bool(self.sorries)

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace and self.name else self.name

    @property
    def is_theorem(self) -> bool:
        return self.kind in THEOREM_KINDS

    @property
    def is_tactic_proof(self) -> bool:
        return self.proof is not None and self.proof.startswith("by") and not self.proof[2:3].isalnum()


class Command(Frozen):
    """A command that is not a declaration (``open``, ``#print``, ``namespace``, ``macro``, ...)."""

    keyword: str
    text: str
    span: Span


class LeanFile(Frozen):
    text: str
    header: str
    header_end_line: int  # last line (1-based) of the header; 0 when the header is empty
    declarations: tuple[Declaration, ...]
    commands: tuple[Command, ...] = ()  # the non-declaration commands after the header

    @property
    def theorems(self) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if d.is_theorem)

    def find(self, name: str) -> Declaration | None:
        """The last declaration called ``name`` (or whose full name is ``name``)."""
        found = [d for d in self.declarations if name and name in (d.name, d.full_name)]
        return found[-1] if found else None


# ---------------------------------------------------------------------------------------------- parsing
def _is_line_first(text: str, offset: int) -> bool:
    i = offset - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n"


def _at_column_zero(text: str, offset: int) -> bool:
    return offset == 0 or text[offset - 1] == "\n"


def _command_starts(text: str, code: Sequence[Token]) -> list[int]:
    """Indices into ``code`` where a new command begins."""
    starts: list[int] = []
    depth = 0
    for i, token in enumerate(code):
        word = token.text
        column_zero = _at_column_zero(text, token.start)
        if column_zero and (
            word in COMMAND_KEYWORDS or word in LINE_COMMAND_KEYWORDS or word.startswith("#")
        ):
            if word != "#[":
                starts.append(i)
                depth = 0
        elif depth == 0 and word in ("open", "set_option") and _prefixes_declaration(code, i):
            starts.append(i)
        elif depth == 0 and token.kind is TokenKind.ident and word in COMMAND_KEYWORDS:
            if not (word == "instance" and i > 0 and code[i - 1].text == "deriving"):
                starts.append(i)
        elif (
            depth == 0
            and token.kind is TokenKind.symbol
            and word.startswith("#")
            and len(word) > 1
            and word[1] != "["
        ):
            starts.append(i)
        if word in OPENERS:
            depth += 1
        elif word in CLOSERS:
            depth = max(0, depth - 1)
    return starts


def _prefixes_declaration(code: Sequence[Token], at: int) -> bool:
    """``open … in`` / ``set_option … in`` directly followed by a declaration (its prefix, at any column)."""
    for i in range(at + 1, min(at + 40, len(code) - 1)):
        if code[i].text == "in":
            following = code[i + 1].text
            return following in DECLARATION_KINDS or following in MODIFIERS or following == "@["
        if code[i].text in (":=", "by", "open", "set_option"):
            return False
    return False


def _is_prefix_segment(code: Sequence[Token]) -> bool:
    """A segment that only modifies the next command: attributes, modifiers, ``open … in``."""
    if not code:
        return False
    first = code[0].text
    if first in ("open", "set_option", "attribute"):
        return code[-1].text == "in"
    if first == "noncomputable":
        return not (len(code) > 1 and code[1].text == "section")
    if first in MODIFIERS or first == "@[":
        return all(t.text not in DECLARATION_KINDS for t in code)
    return False


def _skip_modifiers(code: Sequence[Token]) -> int:
    """Index of the declaration keyword in a declaration segment (or len(code) when there is none)."""
    i = 0
    depth = 0
    while i < len(code):
        word = code[i].text
        if depth == 0 and code[i].kind is TokenKind.ident and word in DECLARATION_KINDS:
            return i
        if word in OPENERS:
            depth += 1
        elif word in CLOSERS:
            depth = max(0, depth - 1)
        i += 1
    return i


def _first_at_depth0(
    code: Sequence[Token], start: int, words: frozenset[str], stop: int | None = None
) -> int:
    depth = 0
    end = len(code) if stop is None else stop
    for i in range(start, end):
        word = code[i].text
        if depth == 0 and word in words and code[i].kind in (TokenKind.symbol, TokenKind.ident):
            return i
        if word in OPENERS:
            depth += 1
        elif word in CLOSERS:
            depth = max(0, depth - 1)
    return end


def _preceding_doc(tokens: Sequence[Token], starts: list[int], text: str, offset: int) -> Token | None:
    """The doc comment directly before ``offset`` (only whitespace between), if any."""
    index = bisect.bisect_left(starts, offset) - 1
    if index < 0:
        return None
    token = tokens[index]
    if (
        token.kind is TokenKind.doc_comment
        and token.text.startswith("/--")
        and not text[token.end : offset].strip()
    ):
        return token
    return None


def _declaration(
    text: str, index: LineIndex, code: Sequence[Token], doc: Token | None, namespace: str
) -> Declaration | None:
    keyword_at = _skip_modifiers(code)
    if keyword_at >= len(code):
        return None
    keyword = code[keyword_at]
    kind = keyword.text
    start = doc.start if doc is not None else code[0].start
    end = code[-1].end
    cursor = keyword_at + 1
    name = ""
    if cursor < len(code) and kind == "instance" and code[cursor].text == "(":
        cursor = _first_at_depth0(code, cursor + 1, frozenset({")"})) + 1  # (priority := n)
    if kind != "example" and cursor < len(code) and code[cursor].kind is TokenKind.ident:
        name_is_binder = (
            kind == "instance" and cursor + 1 < len(code) and code[cursor + 1].text in ("(", "[", "{")
        )
        if kind != "instance" or not name_is_binder or code[cursor].text[:1].islower():
            name = code[cursor].text
            cursor += 1
    proof_at = _first_at_depth0(code, cursor, frozenset({":="}))
    colon_at = _first_at_depth0(code, cursor, frozenset({":"}), stop=proof_at)
    signature_stop = proof_at
    if proof_at == len(code):  # no `:=`: equations (`| pat => …`) or a `where` structure body
        signature_stop = _first_at_depth0(code, cursor, frozenset({"where", "|"}))
        colon_at = _first_at_depth0(code, cursor, frozenset({":"}), stop=signature_stop)
    binders_stop = min(colon_at, signature_stop)
    if cursor < binders_stop:
        binders_span = index.span(code[cursor].start, code[binders_stop - 1].end)
    else:
        binders_span = index.span(code[cursor - 1].end, code[cursor - 1].end)
    type_span = None
    type_text = ""
    if colon_at < signature_stop and colon_at + 1 < signature_stop:
        type_span = index.span(code[colon_at + 1].start, code[signature_stop - 1].end)
        type_text = type_span.text_of(text)
    signature_end = code[signature_stop - 1].end
    proof_span = None
    proof_text = None
    where_text = ""
    if proof_at < len(code) - 1:
        suffix_at = _first_at_depth0(code, proof_at + 1, PROOF_SUFFIX_KEYWORDS)
        if suffix_at < len(code):
            where_text = text[code[suffix_at].start : end]
        proof_span = index.span(code[proof_at + 1].start, code[max(suffix_at - 1, proof_at + 1)].end)
        proof_text = proof_span.text_of(text)
    elif signature_stop < len(code):
        proof_span = index.span(code[signature_stop].start, end)
        proof_text = proof_span.text_of(text)
    sorries = tuple(
        index.span(t.start, t.end) for t in code if t.text == "sorry" and t.kind is TokenKind.ident
    )
    return Declaration(
        kind=kind,
        name=name,
        namespace=namespace,
        doc=doc.text if doc is not None else None,
        modifiers=text[code[0].start : keyword.start].strip() if keyword_at > 0 else "",
        binders=binders_span.text_of(text),
        type=type_text,
        signature=text[keyword.start : signature_end],
        proof=proof_text,
        where_clause=where_text,
        span=index.span(start, end),
        keyword_span=index.span(keyword.start, keyword.end),
        binders_span=binders_span,
        type_span=type_span,
        signature_span=index.span(keyword.start, signature_end),
        proof_span=proof_span,
        sorries=sorries,
    )


def parse_file(text: str, *, tokens: Sequence[Token] | None = None) -> LeanFile:
    """Split ``text`` into header and declarations. Never raises: broken text gives what could be read.

    ``tokens`` may pass ``tokenize(text)`` when the caller has it already.
    """
    index = LineIndex(text)
    tokens = tokenize(text) if tokens is None else tokens
    code = [t for t in tokens if not t.is_comment]
    starts = _command_starts(text, code)
    if code and (not starts or starts[0] != 0):
        starts.insert(0, 0)  # text before the first command keyword is a command of its own
    ends = [*starts[1:], len(code)] if starts else []
    segments = [code[a:b] for a, b in zip(starts, ends, strict=True)]
    # Attributes, modifiers and `open … in` belong to the command they precede.
    merged: list[list[Token]] = []
    pending: list[Token] = []
    for segment in segments:
        if _is_prefix_segment(segment):
            pending.extend(segment)
            continue
        merged.append(pending + list(segment))
        pending = []
    if pending:
        merged.append(pending)
    token_starts = [t.start for t in tokens]
    header_end = len(text)
    in_header = True
    namespaces: list[tuple[str, str]] = []  # (kind, name) of open namespaces/sections
    declarations: list[Declaration] = []
    commands: list[Command] = []
    for segment in merged:
        first = segment[0].text
        doc = _preceding_doc(tokens, token_starts, text, segment[0].start)
        if in_header and first in HEADER_KEYWORDS and _skip_modifiers(segment) == len(segment):
            _track_namespace(segment, namespaces)
            continue
        if in_header:
            in_header = False
            header_end = doc.start if doc is not None else segment[0].start
            line_start = index.line_start(header_end)
            if not text[line_start:header_end].strip():
                header_end = line_start
        namespace = ".".join(name for kind, name in namespaces if kind == "namespace" and name)
        declaration = _declaration(text, index, segment, doc, namespace)
        if declaration is not None:
            declarations.append(declaration)
            continue
        _track_namespace(segment, namespaces)
        commands.append(
            Command(
                keyword=first,
                text=text[segment[0].start : segment[-1].end],
                span=index.span(segment[0].start, segment[-1].end),
            )
        )
    header = text[:header_end]
    header_end_line = 0 if not header else header.count("\n") + (0 if header.endswith("\n") else 1)
    return LeanFile(
        text=text,
        header=header,
        header_end_line=header_end_line,
        declarations=tuple(declarations),
        commands=tuple(commands),
    )


def _track_namespace(segment: Sequence[Token], namespaces: list[tuple[str, str]]) -> None:
    first = segment[0].text
    if first in ("namespace", "section"):
        name = segment[1].text if len(segment) > 1 and segment[1].kind is TokenKind.ident else ""
        namespaces.append((first, name))
    elif first == "noncomputable" and len(segment) > 1 and segment[1].text == "section":
        namespaces.append(("section", ""))
    elif first == "end" and namespaces:
        namespaces.pop()


class Binder(Frozen):
    """One bound name of a signature: ``(x y : ℝ)`` gives two. Anonymous instance binders have name ``""``."""

    name: str
    type: str
    bracket: str  # "(", "{", "[", "⦃", "{{"


def expand_binders(binders: str) -> tuple[Binder, ...]:
    """The binders of a signature, one per name, in order (bare names without a type get ``type == ""``)."""
    tokens = [t for t in tokenize(binders) if not t.is_comment]
    result: list[Binder] = []
    i = 0
    while i < len(tokens):
        opener = tokens[i].text
        if opener not in ("(", "{", "[", "⦃"):
            if tokens[i].kind is TokenKind.ident:
                result.append(Binder(name=tokens[i].text, type="", bracket=""))
            i += 1
            continue
        depth = 0
        j = i
        while j < len(tokens):
            if tokens[j].text in OPENERS:
                depth += 1
            elif tokens[j].text in CLOSERS:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = tokens[i + 1 : j]
        colon = next((k for k, t in enumerate(inner) if t.text == ":"), None)
        type_text = (
            binders[inner[colon + 1].start : inner[-1].end]
            if colon is not None and colon + 1 < len(inner)
            else ""
        )
        if opener == "[" and colon is None:
            type_text = binders[inner[0].start : inner[-1].end] if inner else ""
            result.append(Binder(name="", type=type_text, bracket=opener))
        else:
            names = inner[:colon] if colon is not None else inner
            result.extend(Binder(name=n.text, type=type_text, bracket=opener) for n in names)
        i = j + 1
    return tuple(result)
