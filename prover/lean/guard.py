"""The guard: does a proof text prove exactly the original statement, using nothing untrusted?

Two checks, both by token (never by substring; ``sorry_free`` is a name, not a ``sorry``), so comments and
strings never count:

- ``scan_forbidden``: constructs an untrusted proof must not contain, with their positions.
- ``check_statement``: the theorem in the final text has the original's name, namespace, binders and type,
  token-equal modulo whitespace and comments, with no ``axiom`` and no redefinition of a name the statement uses.

``guard_file`` runs both over a whole file against every original theorem. Sketches are scanned with
``allow_sorry=True``; final proofs never.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from prover.errors import LeanSourceError
from prover.lean.lexer import Token, TokenKind, code_tokens, tokenize
from prover.lean.text import CLOSERS, OPENERS, Declaration, LeanFile, LineIndex, parse_file
from prover.types import Frozen, Pos, Problem

DEFAULT_IMPORT_ROOTS = ("Mathlib", "Aesop", "Batteries")
_META_COMMANDS = frozenset(
    {"macro", "macro_rules", "syntax", "elab", "elab_rules", "notation", "infix", "infixl", "infixr", "prefix",
     "postfix", "declare_syntax_cat", "instance"}
)  # fmt: skip
_RUN_COMMANDS = frozenset({"run_cmd", "run_tac", "run_elab", "run_meta", "by_elab"})
_META_PREFIXES = ("Lean.Elab", "Lean.Meta", "Lean.Compiler")

# ---------------------------------------------------------------------------- the forbidden list (one place)
# Constants behind the escape hatches, by full name, with the reason. A use is flagged however it is written:
# `@sorryAx`, `«sorryAx»`, `_root_.sorryAx`, or a shorter suffix of the name brought in by `open … in`
# (`open Lean in ofReduceBool`): a token matches when one of its dotted name and the entry's is a suffix of
# the other. Never allowed, not even with `allow_native_decide`: a proof that needs them names them on purpose.
FORBIDDEN_CONSTANTS: dict[str, str] = {
    "sorryAx": "the axiom behind `sorry`: proves any proposition",
    "Lean.ofReduceBool": "axiom that trusts compiled code to evaluate `Lean.reduceBool` (native_decide's hole)",
    "Lean.ofReduceNat": "axiom that trusts compiled code to evaluate `Lean.reduceNat`",
    "Lean.reduceBool": "evaluated by compiled code; only usable through `Lean.ofReduceBool`",
    "Lean.reduceNat": "evaluated by compiled code; only usable through `Lean.ofReduceNat`",
    "Lean.trustCompiler": "axiom that declares the compiler trusted",
    "Lean.Elab.admitGoal": "elaborator entry point that closes a goal with `sorryAx`",
    "Lean.MVarId.admit": "closes a goal with `sorryAx`",
    "Lean.Meta.mkSorry": "builds a `sorryAx` term",
    "Lean.Meta.mkLabeledSorry": "builds a `sorryAx` term",
    "Lean.Elab.Term.mkSyntheticSorryFor": "builds a `sorryAx` term",
    "Lean.Elab.Term.exceptionToSorry": "turns an elaboration error into `sorryAx`",
    "Lean.Elab.Tactic.closeUsingOrAdmit": "closes the goal with `sorryAx` when the tactic fails",
    "unsafeCast": "casts between unrelated types: proves anything",
    "unsafeBaseIO": "runs IO inside pure code",
    "unsafeIO": "runs IO inside pure code",
    "unsafeEIO": "runs IO inside pure code",
}
# Tactics (token sequences) that close goals without a kernel-checked proof term.
FORBIDDEN_TACTICS: dict[str, str] = {
    "sorry": "leaves the proof unfinished (elaborates to `sorryAx`)",
    "admit": "a synonym of `sorry`",
    "native_decide": "evaluates the decision procedure with compiled code, trusted through `Lean.ofReduceBool`",
    "decide +native": "the same as `native_decide`",
    "native := true": "`decide (config := { native := true })`: the same as `native_decide`",
    "bv_decide": "checks its LRAT certificate with compiled code (`Lean.ofReduceBool`)",
    "bv_decide?": "`bv_decide`, suggesting a call",
    "bv_check": "checks an LRAT file with compiled code (`Lean.ofReduceBool`)",
}
# Tactics that trust the compiler: allowed only with `allow_native_decide`.
_NATIVE_TACTICS = frozenset({"native_decide", "decide +native", "native := true", "bv_decide", "bv_decide?",
                             "bv_check"})  # fmt: skip

# `set_option`: options that cannot change what a statement means nor weaken checking (resource limits and
# output only) pass anywhere. Any other option on the statement (`set_option … in` on the theorem, or a
# `set_option` command before it) that the original does not have is a finding, since it can change how the
# statement elaborates (`autoImplicit`, `relaxedAutoImplicit`, `elab.*`, `backward.*`, …). Options that weaken
# checking itself (`debug.*`, e.g. `debug.skipKernelTC`) are forbidden anywhere in the file.
# `tactic.hygienic` only decides whether names made inside tactic blocks are hygienic: the statement's text is
# compared token for token anyway and the kernel re-checks the proof term (Seed-Prover sets it on every proof).
HARMLESS_OPTIONS = ("maxHeartbeats", "maxRecDepth", "synthInstance.maxHeartbeats", "synthInstance.maxSize",
                    "linter.*", "pp.*", "trace.*", "tactic.hygienic")  # fmt: skip
WEAKENING_OPTIONS = ("debug.*",)


def _option_matches(option: str, patterns: Sequence[str]) -> bool:
    return any(
        option.startswith(pattern[:-1]) if pattern.endswith(".*") else option == pattern
        for pattern in patterns
    )


def option_is_harmless(option: str) -> bool:
    """Whether ``set_option option …`` can neither change a statement's meaning nor weaken checking."""
    return _option_matches(option, HARMLESS_OPTIONS)


def _name_parts(word: str) -> list[str]:
    parts = [part.strip("«»") for part in word.split(".")]
    return parts[1:] if parts and parts[0] == "_root_" else parts


_CONSTANT_PARTS = {name: name.split(".") for name in FORBIDDEN_CONSTANTS}


def forbidden_constant(word: str) -> str | None:
    """The forbidden constant an identifier token refers to, if any (see ``FORBIDDEN_CONSTANTS``)."""
    parts = _name_parts(word)
    for name, entry in _CONSTANT_PARTS.items():
        k = min(len(parts), len(entry))
        if parts[-k:] == entry[-k:]:
            return name
    return None


class Construct(StrEnum):
    sorry = "sorry"
    native_decide = "native_decide"
    axiom = "axiom"
    eval = "#eval"
    exit = "#exit"
    run_command = "run_cmd"
    unsafe = "unsafe"
    implemented_by = "implemented_by"
    extern = "extern"
    debug_option = "set_option debug"
    escape_constant = "escape constant"
    meta_command = "macro/syntax/elab/notation/instance"
    import_ = "import"
    io = "IO"
    meta_api = "Lean.Elab"


class Finding(Frozen):
    pos: Pos
    end_pos: Pos
    kind: Construct
    message: str


class StatementCheck(Frozen):
    name: str
    ok: bool
    reason: str = ""
    pos: Pos | None = None  # where in the final text the problem is, when there is a place


class GuardReport(Frozen):
    findings: tuple[Finding, ...] = ()
    statements: tuple[StatementCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings and all(check.ok for check in self.statements)


# ------------------------------------------------------------------------------------- forbidden scan
def _finding(index: LineIndex, token: Token, construct: Construct, message: str) -> Finding:
    return Finding(pos=index.pos(token.start), end_pos=index.pos(token.end), kind=construct, message=message)


def _import_allowed(module: str, roots: Sequence[str]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def _is_aesop_phase(previous: str, following: Token | None) -> bool:
    """``unsafe`` as an Aesop rule phase (``add_aesop_rules unsafe 90% …``, ``aesop (add unsafe …)``)."""
    return previous in ("add_aesop_rules", "add", ",") or (
        following is not None and following.kind is TokenKind.number
    )


def scan_forbidden(
    text: str,
    *,
    allow_sorry: bool = False,
    allow_native_decide: bool = False,
    allowed_imports: Sequence[str] = (),
) -> tuple[Finding, ...]:
    """Every forbidden construct in ``text``, in order. ``allowed_imports`` are module roots (``Mathlib``).

    An ``import`` after the first command that is not an import is always a finding (Lean rejects the file).
    """
    policy = _ScanPolicy(
        allow_sorry=allow_sorry,
        allow_native_decide=allow_native_decide,
        allowed_imports=tuple(allowed_imports),
    )
    return _scan(text, tokenize(text), policy)


class _ScanPolicy(Frozen):
    allow_sorry: bool
    allow_native_decide: bool
    allowed_imports: tuple[str, ...] = ()  # module roots
    original_imports: tuple[str, ...] | None = None  # exact modules; replaces the roots when known


def _tactic_at(code: Sequence[Token], i: int) -> str | None:
    """The ``FORBIDDEN_TACTICS`` entry that starts at ``code[i]``, if any."""
    word = code[i].text
    following = [t.text for t in code[i + 1 : i + 3]]
    if word == "decide" and following == ["+", "native"]:
        return "decide +native"
    if word == "native" and following == [":=", "true"]:
        return "native := true"
    return word if word in FORBIDDEN_TACTICS and " " not in word else None


def _import_finding(module: str, after_header: bool, policy: _ScanPolicy) -> str | None:
    if after_header:
        return f"`import {module}` after the header: Lean accepts imports only at the top of the file"
    if policy.original_imports is not None:
        return None if module in policy.original_imports else f"`import {module}` is not in the original"
    allowed = _import_allowed(module, policy.allowed_imports)
    return None if allowed else f"`import {module}` is not allowed"


def _classify(
    code: Sequence[Token], i: int, depth: int, after_header: bool, policy: _ScanPolicy
) -> tuple[Construct, str, int] | None:
    """What is forbidden about ``code[i]``, if anything: (construct, message, index of the token to report)."""
    token = code[i]
    word = token.text
    previous = code[i - 1].text if i > 0 else ""
    following = code[i + 1] if i + 1 < len(code) else None
    if token.kind is TokenKind.symbol:
        if word.startswith("#eval"):
            return Construct.eval, f"`{word}` runs code", i
        if word == "#exit":
            return Construct.exit, "`#exit` stops checking the rest of the file", i
        return None
    if token.kind is TokenKind.name_literal:
        constant = forbidden_constant(word.lstrip("`"))
        if constant is None:
            return None
        return Construct.escape_constant, f"`{word}` names `{constant}`: {FORBIDDEN_CONSTANTS[constant]}", i
    if token.kind is not TokenKind.ident:
        return None
    tactic = _tactic_at(code, i)
    if tactic is not None and tactic not in _NATIVE_TACTICS:
        message = f"`{word}` leaves the proof unfinished"
        return None if policy.allow_sorry else (Construct.sorry, message, i)
    if tactic is not None:
        message = f"`{tactic}` trusts the compiler (allow it with --allow native_decide)"
        return None if policy.allow_native_decide else (Construct.native_decide, message, i)
    constant = forbidden_constant(word)
    if constant is not None:
        return Construct.escape_constant, f"`{word}` is `{constant}`: {FORBIDDEN_CONSTANTS[constant]}", i
    if word == "axiom":
        return Construct.axiom, "declares a new axiom", i
    if word in _RUN_COMMANDS:
        return Construct.run_command, f"`{word}` runs arbitrary code", i
    if word == "unsafe" and not _is_aesop_phase(previous, following):
        return Construct.unsafe, "`unsafe` code", i
    if word == "implemented_by":
        return Construct.implemented_by, "`implemented_by` swaps in other code", i
    if word == "extern":
        return Construct.extern, "`extern` implementation", i
    if word == "set_option" and following is not None and _option_matches(following.text, WEAKENING_OPTIONS):
        return Construct.debug_option, f"`set_option {following.text}` changes what is checked", i + 1
    if word in _META_COMMANDS and depth == 0 and previous != "deriving":
        return Construct.meta_command, f"new `{word}` declaration", i
    if word == "import":
        problem = _import_finding(following.text if following is not None else "", after_header, policy)
        return None if problem is None else (Construct.import_, problem, i)
    if word == "IO" or word.startswith("IO."):
        return Construct.io, f"reference to `{word}`", i
    if word.startswith(_META_PREFIXES):
        return Construct.meta_api, f"reference to `{word}`", i
    return None


def _scan(text: str, tokens: Sequence[Token], policy: _ScanPolicy) -> tuple[Finding, ...]:
    index = LineIndex(text)
    code = [t for t in tokens if not t.is_comment]
    findings: list[Finding] = []
    depth = 0  # bracket depth: `instance` inside `attribute [instance]` declares nothing
    after_header = False  # seen a token that is not part of `prelude` / `import M`
    for i, token in enumerate(code):
        in_import = token.text in ("import", "prelude") or (i > 0 and code[i - 1].text == "import")
        after_header = after_header or not in_import
        found = _classify(code, i, depth, after_header, policy)
        if found is not None:
            construct, message, at = found
            findings.append(_finding(index, code[at], construct, message))
        if token.text in OPENERS:
            depth += 1
        elif token.text in CLOSERS:
            depth = max(0, depth - 1)
    return tuple(findings)


# ------------------------------------------------------------------------------------ statement check
def _token_texts(text: str) -> list[str]:
    return [t.text for t in code_tokens(text)]


def _in_clause_prefixes(modifiers: str) -> list[str]:
    """The ``open … in`` / ``set_option … in`` parts of a declaration's modifiers, normalised."""
    tokens = _token_texts(modifiers)
    found: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in ("open", "set_option"):
            j = i
            while j < len(tokens) and tokens[j] != "in":
                j += 1
            harmless = tokens[i] == "set_option" and i + 1 < j and option_is_harmless(tokens[i + 1])
            if not harmless:
                found.append(" ".join(tokens[i : j + 1]))
            i = j
        i += 1
    return found


def _global_options(tokens: Sequence[str]) -> list[tuple[int, str]]:
    """``set_option name value`` commands (not ``… in``) among ``tokens``: (index, ``name value``)."""
    return [
        (i, f"{tokens[i + 1]} {tokens[i + 2]}")
        for i in range(len(tokens) - 2)
        if tokens[i] == "set_option" and (i + 3 >= len(tokens) or tokens[i + 3] != "in")
    ]


def _statement_option(original_header: str, final: LeanFile, theorem: Declaration) -> tuple[str, Pos] | None:
    """A ``set_option`` command before ``theorem`` that the original lacks and that is not harmless."""
    known = {option for _, option in _global_options(_token_texts(original_header))}
    code = code_tokens(final.text[: theorem.span.start_offset])
    for i, option in _global_options([t.text for t in code]):
        if option not in known and not option_is_harmless(code[i + 1].text):
            return f"set_option {option}", LineIndex(final.text).pos(code[i].start)
    return None


def _bound_names(binders: str) -> set[str]:
    """Names bound by the binders: identifiers before the first ``:`` of each bracket group."""
    names: set[str] = set()
    depth = 0
    before_colon = False
    for token in code_tokens(binders):
        if token.text in OPENERS:
            depth += 1
            before_colon = depth == 1
        elif token.text in CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 1 and token.text == ":":
            before_colon = False
        elif depth == 1 and before_colon and token.kind is TokenKind.ident:
            names.add(token.text)
    return names


def _first_difference(expected: list[str], actual: list[str]) -> str:
    for position, (a, b) in enumerate(zip(expected, actual, strict=False)):
        if a != b:
            return f"token {position + 1}: expected `{a}`, found `{b}`"
    if len(expected) > len(actual):
        return f"missing `{' '.join(expected[len(actual) :][:6])}` at the end"
    return f"extra `{' '.join(actual[len(expected) :][:6])}` at the end"


def _commented_out(final: str, name: str) -> Pos | None:
    pattern = re.compile(rf"\b(theorem|lemma)\s+{re.escape(name)}(?![\w'])")
    index = LineIndex(final)
    for token in tokenize(final):
        if token.is_comment:
            match = pattern.search(token.text)
            if match is not None:
                return index.pos(token.start + match.start())
    return None


def _statement_of(original: LeanFile, name: str) -> Declaration:
    declaration = original.find(name)
    if declaration is None or not declaration.is_theorem:
        raise LeanSourceError(f"the original has no theorem named {name!r}")
    return declaration


def check_statement(original: str, final: str, name: str) -> StatementCheck:
    """Whether ``final`` states theorem ``name`` exactly as ``original`` does (and nothing undermines it).

    Raises ``LeanSourceError`` when ``original`` has no theorem called ``name``.
    """
    parsed = parse_file(original)
    return _check(_statement_of(parsed, name), parsed.header, parse_file(final))


def _check(expected: Declaration, original_header: str, final: LeanFile) -> StatementCheck:
    name = expected.full_name
    candidates = [d for d in final.declarations if d.full_name == name]
    if not candidates:
        where = _commented_out(final.text, expected.name)
        if where is not None:
            return StatementCheck(name=name, ok=False, reason="the theorem is commented out", pos=where)
        loose = [d for d in final.declarations if d.name == expected.name]
        if loose:
            return StatementCheck(
                name=name,
                ok=False,
                pos=loose[0].keyword_span.start,
                reason=f"declared in namespace `{loose[0].namespace}`, not `{expected.namespace}`",
            )
        return StatementCheck(name=name, ok=False, reason="the theorem is missing")
    if len(candidates) > 1:
        return StatementCheck(
            name=name,
            ok=False,
            reason=f"declared {len(candidates)} times",
            pos=candidates[1].keyword_span.start,
        )
    actual = candidates[0]
    where = actual.keyword_span.start
    if (expected.kind == "example") != (actual.kind == "example") or actual.kind not in ("theorem", "lemma"):
        return StatementCheck(name=name, ok=False, reason=f"declared as `{actual.kind}`", pos=where)
    for part, wanted, got in (
        ("binders", expected.binders, actual.binders),
        ("statement", expected.type, actual.type),
    ):
        wanted_tokens, got_tokens = _token_texts(wanted), _token_texts(got)
        if wanted_tokens != got_tokens:
            span = actual.binders_span if part == "binders" else actual.type_span
            pos = span.start if span is not None else where
            return StatementCheck(
                name=name,
                ok=False,
                pos=pos,
                reason=f"{part} differ ({_first_difference(wanted_tokens, got_tokens)})",
            )
    if _in_clause_prefixes(expected.modifiers) != _in_clause_prefixes(actual.modifiers):
        return StatementCheck(
            name=name,
            ok=False,
            reason="different `open … in` / `set_option … in` prefix (only resource limits, `linter.*`, "
            "`pp.*` and `trace.*` options may be added)",
            pos=where,
        )
    option = _statement_option(original_header, final, actual)
    if option is not None:
        return StatementCheck(
            name=name,
            ok=False,
            reason=f"`{option[0]}` before the theorem can change what the statement means",
            pos=option[1],
        )
    used = {t.text for t in code_tokens(f"{expected.binders} {expected.type}") if t.kind is TokenKind.ident}
    used -= _bound_names(expected.binders)
    used_last = {u.rsplit(".", 1)[-1] for u in used}
    for declaration in final.declarations:
        if declaration is actual:
            continue
        if declaration.kind == "axiom":
            return StatementCheck(
                name=name,
                ok=False,
                reason=f"declares axiom `{declaration.full_name}`",
                pos=declaration.keyword_span.start,
            )
        if declaration.name and (
            declaration.full_name in used or declaration.name.rsplit(".", 1)[-1] in used_last
        ):
            return StatementCheck(
                name=name,
                ok=False,
                pos=declaration.keyword_span.start,
                reason=f"redefines `{declaration.full_name}`, which the statement uses",
            )
    original_context = _token_texts(original_header)
    for command in final.commands:
        if command.span.start_offset > actual.span.start_offset:
            continue
        if command.keyword in ("variable", "include") and not _contains(
            original_context, _token_texts(command.text)
        ):
            return StatementCheck(
                name=name,
                ok=False,
                reason=f"adds `{command.keyword}` before the theorem",
                pos=command.span.start,
            )
    header_tokens = _token_texts(final.header)
    for i, word in enumerate(header_tokens):
        if word in ("variable", "include"):
            rest = header_tokens[i : i + 8]
            if not _contains(original_context, rest):
                return StatementCheck(name=name, ok=False, reason=f"adds `{word}` in the header")
    return StatementCheck(name=name, ok=True)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


# ------------------------------------------------------------------------------------------- whole file
def _original_theorems(originals: str | Sequence[Problem]) -> list[tuple[Declaration, str]]:
    sources = (
        [originals] if isinstance(originals, str) else [p.header + p.formal_statement for p in originals]
    )
    found: list[tuple[Declaration, str]] = []
    for source in sources:
        parsed = parse_file(source)
        theorems = [d for d in parsed.theorems if d.kind != "example"]
        if not theorems:
            raise LeanSourceError(f"no theorem in the original {source[:60]!r}")
        found.extend((theorem, parsed.header) for theorem in theorems)
    return found


def _imports(header: str) -> list[str]:
    tokens = _token_texts(header)
    return [tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i] == "import"]


def guard_file(
    final_text: str,
    originals: str | Sequence[Problem],
    *,
    allow_native_decide: bool = False,
    allow_sorry: bool = False,
    allowed_imports: Sequence[str] = DEFAULT_IMPORT_ROOTS,
) -> GuardReport:
    """Scan all of ``final_text`` and check that every original theorem appears in it with its statement.

    ``originals`` is an original file's text (every theorem in it counts) or dataset problems. Helper lemmas
    the final text adds are allowed and scanned like the rest. Every import of ``final_text`` must be one the
    originals have (an added module can bring axioms or ``macro_rules``); only when the originals import
    nothing (a bare statement) do the module roots ``allowed_imports`` apply instead. Raises
    ``LeanSourceError`` when an original holds no theorem.
    """
    tokens = tokenize(final_text)
    final = parse_file(final_text, tokens=tokens)
    theorems = _original_theorems(originals)
    checks = tuple(_check(theorem, header, final) for theorem, header in theorems)
    original_imports = tuple(dict.fromkeys(m for _, header in theorems for m in _imports(header)))
    policy = _ScanPolicy(
        allow_sorry=allow_sorry,
        allow_native_decide=allow_native_decide,
        allowed_imports=tuple(allowed_imports),
        original_imports=original_imports or None,
    )
    return GuardReport(findings=_scan(final_text, tokens, policy), statements=checks)
