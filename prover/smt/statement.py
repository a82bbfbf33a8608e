"""Goal text and theorem statements → a ``Query`` (variables, hypotheses, target).

Goal text is what the REPL prints: ``x y : ℝ`` / ``h₀ : 0 < x`` lines (continuation lines indented), then
``⊢ target``. A statement is ``theorem name binders : type`` (docstrings, comments and a header allowed).
The binder splitter here is deliberately small; it only needs bracket depth, not Lean's full grammar.

Binders whose type is a number sort or a function between number sorts become variables; a few known
non-number types (``ℂ``, ``Set ℕ``...) become names we cannot use; every other binder is a hypothesis. A
hypothesis we cannot elaborate is *dropped* and recorded, so a counterexample is never claimed without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prover.smt.core import FunctionDecl, Hypothesis, OutsideFragment, Query, Sort, Var
from prover.smt.elaborate import Scope, elab_prop, parse_function_type, parse_sort
from prover.smt.parse import parse_expression

OPAQUE_TYPE_HEADS = ("ℂ", "Complex", "Prop", "Type", "Set", "Finset", "List", "Polynomial", "Fin", "Matrix")
DECLARATION = re.compile(
    r"(?:^|\n)\s*(?:@\[[^\]]*\]\s*)?(?:private\s+|protected\s+)?(theorem|lemma|example)\b"
)
OPENERS = {"(": ")", "{": "}", "[": "]", "⦃": "⦄", "⟨": "⟩"}


@dataclass(frozen=True, slots=True)
class Binder:
    names: tuple[str, ...]
    type_text: str
    instance: bool = False


@dataclass(frozen=True, slots=True)
class Declaration:
    """A theorem header: its name, binders and the statement's type (the proposition)."""

    name: str
    binders: tuple[Binder, ...]
    type_text: str


def strip_comments(text: str) -> str:
    text = re.sub(r"/-.*?-/", " ", text, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", text)


def _matching(text: str, start: int) -> int:
    """Index just past the bracket group that opens at ``start``."""
    stack = [OPENERS[text[start]]]
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch in OPENERS:
            stack.append(OPENERS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise OutsideFragment("unbalanced brackets in the statement")


def _top_level(text: str, needle: str, start: int = 0) -> int:
    """First index of ``needle`` outside brackets, or -1."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch in OPENERS:
            depth += 1
        elif ch in OPENERS.values():
            depth -= 1
        elif depth == 0 and text.startswith(needle, i):
            return i
        i += 1
    return -1


def split_declarations(text: str) -> list[Declaration]:
    """Every ``theorem``/``lemma``/``example`` header in ``text``, in order."""
    text = strip_comments(text)
    starts = [match.end() for match in DECLARATION.finditer(text)]
    kinds = [match.group(1) for match in DECLARATION.finditer(text)]
    declarations = []
    for index, (start, kind) in enumerate(zip(starts, kinds, strict=True)):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        declarations.append(_split_one(text[start:end], kind))
    return declarations


def _split_one(text: str, kind: str) -> Declaration:
    i = 0
    name = "example"
    rest = text.lstrip()
    if kind != "example":
        match = re.match(r"\s*([^\s(\[{⦃:]+)", text)
        if match is None:
            raise OutsideFragment("declaration without a name")
        name = match.group(1)
        rest = text[match.end() :]
    binders: list[Binder] = []
    while True:
        stripped = rest.lstrip()
        if not stripped or stripped[0] not in "({[⦃":
            break
        i = len(rest) - len(stripped)
        end = _matching(rest, i)
        group = rest[i + 1 : end - 1]
        colon = _top_level(group, ":")
        if colon < 0:
            if rest[i] == "[":
                binders.append(Binder((), group.strip(), instance=True))
            else:
                raise OutsideFragment(f"binder without a type: {group.strip()!r}")
        else:
            binders.append(Binder(tuple(group[:colon].split()), group[colon + 1 :].strip(), rest[i] == "["))
        rest = rest[end:]
    stripped = rest.lstrip()
    if not stripped.startswith(":"):
        raise OutsideFragment("statement has no `: type` after its binders")
    body = stripped[1:]
    stop = _top_level(body, ":=")
    type_text = body if stop < 0 else body[:stop]
    return Declaration(name, tuple(binders), type_text.strip())


def split_goal(goal_text: str) -> tuple[list[tuple[tuple[str, ...], str]], str]:
    """Hypothesis lines ``names : type`` and the target of one printed goal."""
    lines: list[str] = []
    for raw in goal_text.strip().splitlines():
        if raw.startswith("case ") and not lines:
            continue
        if lines and raw[:1].isspace():
            lines[-1] += " " + raw.strip()
        else:
            lines.append(raw.strip())
    targets = [i for i, line in enumerate(lines) if line.startswith("⊢")]
    if len(targets) != 1:
        raise OutsideFragment("expected exactly one `⊢` in the goal text")
    index = targets[0]
    target = " ".join([lines[index][1:], *lines[index + 1 :]]).strip()
    entries: list[tuple[tuple[str, ...], str]] = []
    for line in lines[:index]:
        colon = _top_level(line, " : ")
        if colon < 0:
            raise OutsideFragment(f"unreadable hypothesis line {line!r}")
        entries.append((tuple(line[:colon].split()), line[colon + 3 :].strip()))
    return entries, target


def build_query(entries: list[tuple[tuple[str, ...], str]], target: str, *, goal_mode: bool) -> Query:
    """Elaborate binders/hypotheses (in order, so each sees the names before it) and the target."""
    variables: dict[str, Sort] = {}
    functions: dict[str, FunctionDecl] = {}
    hypotheses: list[Hypothesis] = []
    dropped: list[str] = []
    for names, type_text in entries:
        sort = parse_sort(type_text)
        signature = parse_function_type(type_text) if sort is None else None
        if sort is not None:
            variables.update(dict.fromkeys(names, sort))
            continue
        if signature is not None:
            for name in names:
                functions[name] = FunctionDecl(name, signature[0], signature[1])
            continue
        head = type_text.split()[0] if type_text.split() else ""
        if head in OPAQUE_TYPE_HEADS:
            continue  # a value we cannot model; anything mentioning it fails to elaborate and is dropped
        scope = Scope(dict(variables), dict(functions), goal_mode=goal_mode)
        for name in names:
            try:
                hypotheses.append(Hypothesis(name, elab_prop(parse_expression(type_text), scope)))
            except OutsideFragment:
                dropped.append(name)
    scope = Scope(variables, functions, goal_mode=goal_mode)
    try:
        goal = elab_prop(parse_expression(target), scope)
        problem = ""
    except OutsideFragment as error:
        goal, problem = None, str(error)
    return Query(
        variables=tuple(Var(name, sort) for name, sort in variables.items()),
        functions=tuple(functions.values()),
        hypotheses=tuple(hypotheses),
        goal=goal,
        dropped=tuple(dropped),
        goal_problem=problem,
    )


def query_from_goal(goal_text: str) -> Query:
    entries, target = split_goal(goal_text)
    return build_query(entries, target, goal_mode=True)


def query_from_declaration(declaration: Declaration) -> Query:
    # An instance binder (``[Fact p.Prime]``) can constrain the variables: keep it as a hypothesis, which
    # drops it (and so forbids a refutation) unless it elaborates.
    entries = [(b.names or (f"inst{i}✝",), b.type_text) for i, b in enumerate(declaration.binders)]
    return build_query(entries, declaration.type_text, goal_mode=False)


def query_from_statement(statement: str) -> Query:
    declarations = split_declarations(statement)
    if not declarations:
        raise OutsideFragment("no theorem, lemma or example in the text")
    return query_from_declaration(declarations[0])
