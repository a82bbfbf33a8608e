"""A stand-in for the Lean REPL executable that speaks its stdin/stdout protocol exactly.

Run it as ``python tests/fakes/repl_double.py --mode replay --transcript X.in`` or
``python tests/fakes/repl_double.py --mode scripted --rules rules.json``. ``tests/fakes/repl_script.py``
builds rules files and command lines; prefer it in tests.

What it reproduces of the real REPL (leanprover-community/repl, ``REPL/Main.lean``):

- Framing: a request is read line by line up to a blank line (or end of input); the lines are joined
  *without* newlines after trimming their right end (so a raw newline inside a JSON string vanishes, as in
  ``invalid_line_break.in``). Lines starting with ``#`` or ``--`` are skipped. End of input: exit 0.
  A query that is not JSON, or JSON that is no command, kills the process with
  ``uncaught exception: {"message": ...}`` on stderr and exit status 1.
- Output: each response is Lean's ``Json.pretty`` (80 columns, object keys in reverse lexicographic
  order), then an empty line.
- Scripted mode: global ``env`` and ``proofState`` counters; ``{"message": ...}`` errors (unknown
  environment, unknown proof state, tactic exceptions) consume no id; empty ``messages``/``sorries`` are
  omitted; ``goals`` is always present in tactic answers; ``proofStatus`` only for the ``head`` profile;
  ``declaration uses 'sorry'`` quoting by profile; ``pickleTo`` an env answers the same id while
  ``pickleTo`` a proof state answers a new one, and unpickling consumes a new id.
- Replay mode: the i-th request must equal (as JSON) the i-th request of the transcript, and the answer is
  the recorded text byte for byte; any other request makes the double exit with status 3.
- Faults (flags, or ``"fault"`` in a rule): ``hang``, ``partial`` (half a response then EOF), ``empty``
  (exit 0 without answering), ``exit137``, ``segv`` (SIGSEGV on itself), ``garbage`` (an unparseable
  response); ``--import-delay`` sleeps on the first command with an ``import`` line; ``--delay`` sleeps before
  every answer.
- Every request received is appended as one JSON line ``{"pid": ..., "request": ...}`` to the file named by
  ``--log`` or the environment variable ``REPL_DOUBLE_LOG``.

Rules file (scripted mode), all keys optional::

    {"profile": "head" | "v4.15" | "v4.9",
     "default_goal": "⊢ True",
     "default_tactic": {"goals": []},
     "rules": [
       {"cmd": REGEX, "messages": [MSG...], "sorries": [SORRY...], "delay": S, "fault": KIND},
       {"tactic": REGEX, "goals": [...], "messages": [MSG...], "sorries": [{"goal": ...}], "error": TEXT}
     ]}

A cmd rule may give ``"sorry_goals": [GOAL...]`` instead of ``sorries``: the command is answered like an
unmatched one (every ``sorry`` token reported where it stands, ``declaration uses sorry`` warnings) except that
the i-th ``sorry`` carries the i-th goal (``default_goal`` past the list), after the rule's ``messages``.
A ``MSG`` is ``{"severity", "data", "pos": [line, col], "endPos": [line, col]}`` or uses ``"at": TEXT`` to
place it on the first occurrence of TEXT in the command. A ``SORRY`` is ``{"goal", "pos", "endPos"}`` or
``{"goal", "at"}``. Commands that match no rule get the default: each ``sorry`` token becomes a sorry
(goal ``default_goal``) with a ``declaration uses sorry`` warning on its declaration, ``#print axioms N``
answers ``'N' depends on axioms: [propext]`` (or the rule's messages), anything else is accepted silently.
A tactic rule with ``error`` answers ``{"message": "Lean error:\\n<error>"}``.

Command options (``cmd`` and ``path`` requests), scripted mode; the double either honours an option as the
real REPL answers it (shapes from the recorded transcripts) or refuses it loudly: it writes ``repl double:
option ... is not modelled`` on stderr and exits with status 3, so a test that relies on it fails instead of
passing on a double that ignored it.

- ``allTactics: true``: a ``tactics`` list, one entry per tactic of each ``by`` block (split on lines at the
  block's indentation and on ``;``), each ``{"tactic", "pos", "endPos", "goals", "proofState",
  "usedConstants": []}`` with a fresh proof state; the double does not elaborate, so ``goals`` is
  ``default_goal`` unless the matching cmd rule gives ``"tactics": [{"tactic", "goals", "at"}...]``.
- ``rootGoals: true`` (``head`` profile only: older REPLs have no such field): every declaration's proof
  gets a sorry entry at the start of its proof term (``pos`` = ``endPos``), goal ``default_goal`` or the i-th
  of the rule's ``"root_goals"``, with a proof state tactics can continue from.
- ``incrementality`` (LeanInteract's fork; LeanInteract sends ``true`` by default): accepted. It only lets
  Lean reuse elaboration snapshots; answers are the same.
- ``setOptions`` (LeanInteract's fork): accepted for ``Elab.async`` (parallel elaboration, which LeanInteract
  adds by default; the same answers), refused for any other option (the double cannot model its effect).
- ``infotree`` and ``declarations``: refused (not modelled).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

# ------------------------------------------------------------------------- Lean's Json.pretty
# A document is a tuple: ("text", s) | ("line",) | ("cat", [docs]) | ("nest", n, doc) | ("group", doc).
Doc = tuple[Any, ...]
LINE: Doc = ("line",)


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _bracket(left: str, items: list[Doc], right: str) -> Doc:
    joined: list[Doc] = []
    for index, item in enumerate(items):
        if index:
            joined.extend([("text", ","), LINE])
        joined.append(item)
    return ("group", ("nest", len(left), ("cat", [("text", left), *joined, ("text", right)])))


def _render(value: Any) -> Doc:
    if value is None:
        return ("text", "null")
    if value is True:
        return ("text", "true")
    if value is False:
        return ("text", "false")
    if isinstance(value, int | float):
        return ("text", str(value))
    if isinstance(value, str):
        return ("text", _escape(value))
    if isinstance(value, list):
        return _bracket("[", [_render(v) for v in value], "]")
    if isinstance(value, dict):
        pairs = [
            ("group", ("cat", [("text", _escape(key) + ":"), LINE, _render(value[key])]))
            for key in sorted(value, reverse=True)
        ]
        return _bracket("{", pairs, "}")
    raise TypeError(f"not JSON: {value!r}")


def _fits(width: int, stack: list[tuple[int, bool, Doc]]) -> bool:
    stack = list(stack)
    while width >= 0:
        if not stack:
            return True
        indent, flat, doc = stack.pop()
        match doc[0]:
            case "text":
                width -= len(doc[1])
            case "line":
                if not flat:
                    return True
                width -= 1
            case "cat":
                stack.extend((indent, flat, d) for d in reversed(doc[1]))
            case "nest":
                stack.append((indent + doc[1], flat, doc[2]))
            case "group":
                stack.append((indent, True, doc[1]))
    return False


def render_lean_json(value: Any, width: int = 80) -> str:
    """The text Lean's ``Json.pretty`` prints for ``value`` (Wadler-style layout, keys descending)."""
    out: list[str] = []
    column = 0
    stack: list[tuple[int, bool, Doc]] = [(0, False, _render(value))]
    while stack:
        indent, flat, doc = stack.pop()
        match doc[0]:
            case "text":
                out.append(doc[1])
                column += len(doc[1])
            case "line":
                if flat:
                    out.append(" ")
                    column += 1
                else:
                    out.append("\n" + " " * indent)
                    column = indent
            case "cat":
                stack.extend((indent, flat, d) for d in reversed(doc[1]))
            case "nest":
                stack.append((indent + doc[1], flat, doc[2]))
            case "group":
                fits = flat or _fits(width - column, [*stack, (indent, True, doc[1])])
                stack.append((indent, fits, doc[1]))
    return "".join(out)


# ------------------------------------------------------------------------------------ framing
def read_query(stdin: BinaryIO) -> str:
    """One query as the REPL's ``getLines`` reads it: right-trimmed lines joined up to a blank line."""
    parts: list[str] = []
    while True:
        line = stdin.readline().decode("utf-8")
        if line.strip(" \t\r\n") == "":
            return "".join(parts) + line
        parts.append(line.rstrip(" \t\r\n"))


def split_transcript_requests(text: str) -> list[str]:
    """The queries a real REPL reads from a whole ``.in`` file (same rules as ``read_query``)."""
    import io

    stream = io.BytesIO(text.encode("utf-8"))
    queries = []
    while True:
        query = read_query(stream)
        if query == "":
            return queries
        if query.startswith("#") or query.startswith("--"):
            continue
        queries.append(query)


def split_transcript_responses(text: str) -> list[str]:
    """The responses of an ``.expected.out`` file (pretty JSON never holds an empty line)."""
    return [chunk for chunk in text.split("\n\n") if chunk.strip()]


def die_uncaught(message: str) -> None:
    sys.stderr.write("uncaught exception: " + json.dumps({"message": message}, ensure_ascii=False) + "\n")
    sys.stderr.flush()
    sys.exit(1)


# ------------------------------------------------------------------------------------- faults
FAULTS = ("hang", "partial", "empty", "exit137", "segv", "garbage")


def inject(fault: str, out: BinaryIO) -> None:
    match fault:
        case "hang":
            while True:
                time.sleep(3600)
        case "partial":
            out.write(b'{"messages":\n [{"severity": "err')
            out.flush()
            sys.exit(0)
        case "empty":
            sys.exit(0)
        case "exit137":
            os._exit(137)
        case "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
            time.sleep(10)
        case "garbage":
            out.write(b"this is not json\n\n")
            out.flush()
        case _:
            raise SystemExit(f"unknown fault {fault}")


# ------------------------------------------------------------------------------ scripted Lean
_PROFILES = ("head", "v4.15", "v4.9")
_DECL = re.compile(r"\b(theorem|lemma|def|example|instance|abbrev)\b(\s+([^\s:({\[]+))?")
_SORRY = re.compile(r"\bsorry\b")
_PRINT_AXIOMS = re.compile(r"#print\s+axioms\s+(\S+)")


_PROOF_START = re.compile(r"\b(?:theorem|lemma|example)\b.*?:=\s*", re.DOTALL)
_BY = re.compile(r"(?<![\w.'])by(?![\w.'])")
_HARMLESS_OPTIONS = {"Elab.async"}


class UnmodelledOption(Exception):
    """A request option the double does not model: it exits loudly rather than ignore it."""


def unmodelled_option(request: dict[str, Any], profile: str) -> str | None:
    """Why the double refuses ``request``'s options, or ``None`` (see the module docstring)."""
    for key in ("infotree", "declarations"):
        if request.get(key) not in (None, False):
            return f"option {key!r} is not modelled"
    if request.get("rootGoals") and profile != "head":
        return (
            f"option 'rootGoals' is not modelled for profile {profile!r} (the REPL has it since 2025: head)"
        )
    for option in request.get("setOptions") or []:
        name = option[0] if isinstance(option, list | tuple) and option else option
        dotted = ".".join(name) if isinstance(name, list) else str(name)
        if dotted not in _HARMLESS_OPTIONS:
            return f"option 'setOptions' with {dotted!r} is not modelled (only {sorted(_HARMLESS_OPTIONS)})"
    return None


def tactic_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of every tactic of every ``by`` block: a block runs to the next declaration;
    a tactic ends at ``;`` or at a line indented no deeper than the block's first tactic; the block ends at a
    line indented no deeper than the line holding its ``by`` (so a nested ``by`` ends with its line)."""
    decl_starts = [found.start() for found in _DECL.finditer(text)] + [len(text)]
    spans: list[tuple[int, int]] = []
    for by in _BY.finditer(text):
        block_end = next(start for start in decl_starts if start >= by.end())
        line_start = text.rfind("\n", 0, by.start()) + 1
        by_indent = len(text[line_start : by.start()]) - len(text[line_start : by.start()].lstrip())
        offset = by.end()
        base: int | None = None
        current: tuple[int, int] | None = None
        for line in text[by.end() : block_end].split("\n"):
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            if stripped and offset != by.end() and indent <= by_indent:
                break
            if stripped:
                column = offset + indent
                if base is None:
                    base = column - (text.rfind("\n", 0, column) + 1)
                if current is None or indent <= base or offset == by.end():
                    if current is not None:
                        spans.append(current)
                    current = (column, offset + len(line.rstrip()))
                else:
                    current = (current[0], offset + len(line.rstrip()))
            offset += len(line) + 1
        if current is not None:
            spans.append(current)
    return [part for start, end in spans for part in _split_semicolons(text, start, end)]


def _split_semicolons(text: str, start: int, end: int) -> list[tuple[int, int]]:
    parts, depth, begin = [], 0, start
    for index in range(start, end):
        char = text[index]
        depth += char in "([{"
        depth -= char in ")]}"
        if char == ";" and depth == 0:
            parts.append((begin, index))
            begin = index + 1
    parts.append((begin, end))
    trimmed = []
    for a, b in parts:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


def _position(text: str, offset: int) -> dict[str, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1)
    return {"line": line, "column": column}


class ScriptedLean:
    """The generative REPL: id counters, stored proof states, rules. (No dataclasses: start-up time counts.)"""

    def __init__(
        self,
        profile: str = "head",
        rules: list[dict[str, Any]] | None = None,
        default_goal: str = "⊢ True",
        default_tactic: dict[str, Any] | None = None,
    ) -> None:
        self.profile = profile
        self.rules = rules or []
        self.default_goal = default_goal
        self.default_tactic = default_tactic if default_tactic is not None else {"goals": []}
        self.envs = 0
        self.proof_states: dict[int, list[str]] = {}
        self.next_proof_state = 0

    def sorry_text(self) -> str:
        return "declaration uses `sorry`" if self.profile == "head" else "declaration uses 'sorry'"

    def match(self, kind: str, text: str) -> dict[str, Any] | None:
        for rule in self.rules:
            if kind in rule and re.search(rule[kind], text, re.DOTALL):
                return rule
        return None

    def _new_proof_state(self, goals: list[str]) -> int:
        ident = self.next_proof_state
        self.next_proof_state += 1
        self.proof_states[ident] = goals
        return ident

    def _placed(self, spec: dict[str, Any], text: str) -> tuple[dict[str, int], dict[str, int]]:
        if "at" in spec:
            start = max(text.find(spec["at"]), 0)
            return _position(text, start), _position(text, start + len(spec["at"]))
        pos = spec.get("pos", [0, 0])
        end = spec.get("endPos", pos)
        return {"line": pos[0], "column": pos[1]}, {"line": end[0], "column": end[1]}

    def _message(self, spec: dict[str, Any], text: str) -> dict[str, Any]:
        pos, end = self._placed(spec, text)
        return {"severity": spec.get("severity", "error"), "pos": pos, "endPos": end, "data": spec["data"]}

    def command(self, request: dict[str, Any], text: str) -> dict[str, Any]:
        refusal = unmodelled_option(request, self.profile)
        if refusal is not None:
            raise UnmodelledOption(refusal)
        env = request.get("env")
        if env is not None and not (isinstance(env, int) and 0 <= env < self.envs):
            return {"message": "Unknown environment."}
        rule = self.match("cmd", text)
        if rule is not None and "sorry_goals" in rule:
            # Like an unmatched command (each `sorry` reported, `declaration uses sorry` warnings), but the
            # i-th `sorry` of the text stands for the i-th goal given; the rule's own messages come first.
            extra = [self._message(m, text) for m in rule.get("messages", [])]
            messages, sorries = self._default_command(text, goals=rule["sorry_goals"])
            messages = extra + messages
        elif rule is not None and ("messages" in rule or "sorries" in rule):
            messages = [self._message(m, text) for m in rule.get("messages", [])]
            sorries = []
            for spec in rule.get("sorries", []):
                pos, end = self._placed(spec, text)
                ident = self._new_proof_state([spec["goal"]])
                sorries.append({"proofState": ident, "pos": pos, "goal": spec["goal"], "endPos": end})
        else:
            messages, sorries = self._default_command(text)
        if request.get("rootGoals"):
            goals = list((rule or {}).get("root_goals", []))
            sorries = sorted(
                self._root_goals(text, goals) + sorries, key=lambda s: (s["pos"]["line"], s["pos"]["column"])
            )
        response: dict[str, Any] = {"env": self.envs}
        self.envs += 1
        if messages:
            response["messages"] = messages
        if sorries:
            response["sorries"] = sorries
        if request.get("allTactics"):
            response["tactics"] = self._tactics(text, (rule or {}).get("tactics"))
        return response

    def _root_goals(self, text: str, goals: list[str]) -> list[dict[str, Any]]:
        """One sorry entry per declaration proof, at the start of its proof term (``rootGoals``)."""
        roots = []
        for index, found in enumerate(_PROOF_START.finditer(text)):
            goal = goals[index] if index < len(goals) else self.default_goal
            pos = _position(text, found.end())
            roots.append(
                {"proofState": self._new_proof_state([goal]), "pos": pos, "goal": goal, "endPos": pos}
            )
        return roots

    def _tactics(self, text: str, specs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """The ``tactics`` of an ``allTactics`` answer: the rule's, or every tactic of every ``by`` block."""
        pieces: list[tuple[str, str, dict[str, int], dict[str, int]]] = []
        if specs is not None:
            for spec in specs:
                pos, end = self._placed({"at": spec.get("at", spec["tactic"]), **spec}, text)
                pieces.append((spec["tactic"], spec.get("goals", self.default_goal), pos, end))
        else:
            for start, end in tactic_spans(text):
                pieces.append(
                    (text[start:end], self.default_goal, _position(text, start), _position(text, end))
                )
        return [
            {
                "usedConstants": [],
                "tactic": tactic,
                "proofState": self._new_proof_state([goals]),
                "pos": pos,
                "goals": goals,
                "endPos": end,
            }
            for tactic, goals, pos, end in pieces
        ]

    def _default_command(
        self, text: str, goals: list[str] | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        messages: list[dict[str, Any]] = []
        sorries: list[dict[str, Any]] = []
        warned: set[int] = set()
        for number, found in enumerate(_SORRY.finditer(text)):
            goal = goals[number] if goals is not None and number < len(goals) else self.default_goal
            ident = self._new_proof_state([goal])
            sorries.append(
                {
                    "proofState": ident,
                    "pos": _position(text, found.start()),
                    "goal": goal,
                    "endPos": _position(text, found.end()),
                }
            )
            decls = [d for d in _DECL.finditer(text, 0, found.start())]
            if decls and decls[-1].start() not in warned:
                decl = decls[-1]
                warned.add(decl.start())
                span = (
                    (decl.start(3), decl.end(3))
                    if decl.group(1) != "example" and decl.group(3)
                    else decl.span(1)
                )
                messages.append(
                    {
                        "severity": "warning",
                        "pos": _position(text, span[0]),
                        "endPos": _position(text, span[1]),
                        "data": self.sorry_text(),
                    }
                )
        for found in _PRINT_AXIOMS.finditer(text):
            messages.append(
                {
                    "severity": "info",
                    "pos": _position(text, found.start()),
                    "endPos": _position(text, found.start() + len("#print")),
                    "data": f"'{found.group(1)}' depends on axioms: [propext]",
                }
            )
        return messages, sorries

    def tactic(self, request: dict[str, Any]) -> dict[str, Any]:
        state = request["proofState"]
        if state not in self.proof_states:
            return {"message": "Unknown proof state."}
        rule = self.match("tactic", request["tactic"]) or self.default_tactic
        if "error" in rule:
            return {"message": "Lean error:\n" + rule["error"]}
        goals = list(rule.get("goals", []))
        messages = [self._message(m, "") for m in rule.get("messages", [])]
        sorries = []
        for spec in rule.get("sorries", []):
            sorries.append({"proofState": self._new_proof_state([spec["goal"]]), "goal": spec["goal"]})
        return self._step_response(goals, messages, sorries)

    def _step_response(
        self, goals: list[str], messages: list[dict[str, Any]], sorries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        response: dict[str, Any] = {"proofState": self._new_proof_state(goals), "goals": goals}
        if messages:
            response["messages"] = messages
        if sorries:
            response["sorries"] = sorries
        if self.profile == "head":
            has_error = any(m["severity"] == "error" for m in messages)
            if sorries or has_error:
                response["proofStatus"] = "Incomplete: contains sorry"
            elif goals:
                response["proofStatus"] = "Incomplete: open goals remain"
            else:
                response["proofStatus"] = "Completed"
        return response

    def pickle(self, request: dict[str, Any]) -> dict[str, Any]:
        path = Path(request["pickleTo"])
        if "env" in request:
            if not 0 <= request["env"] < self.envs:
                return {"message": "Unknown environment."}
            path.write_text(json.dumps({"env": request["env"]}))
            return {"env": request["env"]}
        state = request.get("proofState")
        if state not in self.proof_states:
            return {"message": "Unknown proof State."}
        path.write_text(json.dumps({"goals": self.proof_states[state]}))
        return self._step_response(self.proof_states[state], [], [])

    def unpickle(self, request: dict[str, Any]) -> dict[str, Any]:
        if "unpickleEnvFrom" in request:
            Path(request["unpickleEnvFrom"]).read_text()
            response = {"env": self.envs}
            self.envs += 1
            return response
        saved = json.loads(Path(request["unpickleProofStateFrom"]).read_text())
        return self._step_response(list(saved["goals"]), [], [])

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        if "tactic" in request and "proofState" in request:
            return self.tactic(request)
        if "pickleTo" in request:
            return self.pickle(request)
        if "unpickleEnvFrom" in request or "unpickleProofStateFrom" in request:
            return self.unpickle(request)
        if "cmd" in request:
            return self.command(request, request["cmd"])
        if "path" in request:
            try:
                text = Path(request["path"]).read_text(encoding="utf-8")
            except OSError as exc:
                return {"message": f"no such file or directory (error code: 2)\n  file: {exc.filename}"}
            return self.command(request, text)
        die_uncaught("Could not parse as a valid JSON command:\nno command field")
        raise AssertionError("unreachable")


# ------------------------------------------------------------------------------------ main loop
def _log(handle: Any, request: Any) -> None:
    if handle is not None:  # one append per line: concurrent doubles may share the log
        handle.write(json.dumps({"pid": os.getpid(), "request": request}, ensure_ascii=False) + "\n")
        handle.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("replay", "scripted"), default="scripted")
    parser.add_argument("--transcript", type=Path, help="replay: the .in file (its .expected.out beside it)")
    parser.add_argument("--rules", type=Path, help="scripted: the rules JSON file")
    parser.add_argument("--profile", choices=_PROFILES, help="scripted: overrides the rules' profile")
    parser.add_argument("--log", default=os.environ.get("REPL_DOUBLE_LOG"))
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--fault-match", default="", help="regex a request must contain for --fault")
    parser.add_argument("--fault-after", type=int, default=0, help="matching requests to answer first")
    parser.add_argument("--import-delay", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    recorded: list[tuple[Any, str]] = []
    scripted = ScriptedLean()
    if args.mode == "replay":
        if args.transcript is None:
            parser.error("--transcript is required in replay mode")
        requests = split_transcript_requests(args.transcript.read_text(encoding="utf-8"))
        expected = args.transcript.with_name(args.transcript.name[: -len(".in")] + ".expected.out")
        responses = split_transcript_responses(expected.read_text(encoding="utf-8"))
        recorded = [(json.loads(q), r) for q, r in zip(requests, responses, strict=True)]
    elif args.rules is not None:
        spec = json.loads(args.rules.read_text(encoding="utf-8"))
        scripted = ScriptedLean(
            profile=spec.get("profile", "head"),
            rules=list(spec.get("rules", [])),
            default_goal=spec.get("default_goal", "⊢ True"),
            default_tactic=spec.get("default_tactic", {"goals": []}),
        )
    if args.profile:
        scripted.profile = args.profile

    log = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115 - lives as long as the process
    imported = False
    fault_seen = 0
    served = 0
    while True:
        query = read_query(stdin)
        if query == "":
            return
        if query.startswith("#") or query.startswith("--"):
            continue
        try:
            request = json.loads(query)
        except json.JSONDecodeError as exc:
            die_uncaught(f"Could not parse JSON:\n{exc}")
        if not isinstance(request, dict):
            die_uncaught("Could not parse as a valid JSON command:\nexpected an object")
        _log(log, request)
        text = request.get("cmd", "") if isinstance(request.get("cmd"), str) else ""
        if args.import_delay and not imported and re.search(r"^\s*import\s", text, re.MULTILINE):
            imported = True
            time.sleep(args.import_delay)
        if args.delay:
            time.sleep(args.delay)
        if args.fault and re.search(args.fault_match, query):
            fault_seen += 1
            if fault_seen > args.fault_after:
                inject(args.fault, stdout)
                continue
        if args.mode == "replay":
            if served >= len(recorded) or recorded[served][0] != request:
                sys.stderr.write(f"replay: request {served} does not match the transcript: {query!r}\n")
                sys.exit(3)
            out = recorded[served][1]
            served += 1
        else:
            rule = (
                scripted.match("cmd", text) if text else scripted.match("tactic", request.get("tactic", ""))
            )
            if rule is not None:
                time.sleep(float(rule.get("delay", 0.0)))
                if "fault" in rule:
                    inject(rule["fault"], stdout)
                    continue
            try:
                out = render_lean_json(scripted.answer(request))
            except UnmodelledOption as refusal:
                sys.stderr.write(f"repl double: {refusal}\n")
                sys.exit(3)
        stdout.write((out + "\n\n").encode("utf-8"))
        stdout.flush()


if __name__ == "__main__":
    main()
