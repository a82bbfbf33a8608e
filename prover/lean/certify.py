"""Final certification of a proof file: the last word before prover says "proved".

``certify`` checks the whole file in a fresh environment (no header reuse, so nothing elaborated earlier in a
long-lived process can leak in) with one ``#print axioms NAME`` line appended per theorem, in one request.
It accepts only when the file itself is ``valid`` and every theorem depends on no axioms beyond
``ALLOWED_AXIOMS``: ``sorryAx`` (a hidden sorry), ``Lean.ofReduceBool``/``Lean.trustCompiler``
(``native_decide``) and any user ``axiom`` reject. Lean's answers look like
``'X' depends on axioms: [propext, Classical.choice, Quot.sound]`` or ``'X' does not depend on any
axioms`` (newer versions may quote with backticks; both are read).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prover.lean.backend import LeanBackend
from prover.lean.verdict import decide
from prover.types import CheckResult, Frozen, Message, Severity, Verdict

ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})

_DEPENDS = re.compile(r"^['`«]?(?P<name>.+?)['`»]? depends on axioms: \[(?P<axioms>.*)\]\s*$", re.DOTALL)
_NO_AXIOMS = re.compile(r"^['`«]?(?P<name>.+?)['`»]? does not depend on any axioms\s*$", re.DOTALL)
_NAME = re.compile(r"^[^\s:()\[\]{}]+$")


class Certification(Frozen):
    ok: bool
    check: CheckResult
    axioms: dict[str, tuple[str, ...]]
    problems: tuple[str, ...] = ()


def parse_axioms(text: str) -> tuple[str, ...] | None:
    """The axioms named in one ``#print axioms`` answer; None when ``text`` is no such answer."""
    if _NO_AXIOMS.match(text):
        return ()
    found = _DEPENDS.match(text)
    if found is None:
        return None
    return tuple(a.strip() for a in found.group("axioms").split(",") if a.strip())


async def certify(
    backend: LeanBackend, file_text: str, theorem_names: Sequence[str], *, timeout: float | None = None
) -> Certification:
    """Certify ``file_text``: fresh whole-file check, then the axioms of each of ``theorem_names``."""
    bad_names = [name for name in theorem_names if not _NAME.match(name)]
    if bad_names:
        raise ValueError(f"not Lean declaration names: {bad_names}")
    base = file_text if file_text.endswith("\n") else file_text + "\n"
    file_lines = base.count("\n")
    probes = "".join(f"#print axioms {name}\n" for name in theorem_names)
    combined = await backend.check(base + probes, timeout=timeout, fresh=True)

    own = tuple(m for m in combined.messages if m.pos.line <= file_lines)
    probe_messages = [m for m in combined.messages if m.pos.line > file_lines]
    verdict: Verdict = combined.verdict
    if verdict not in (Verdict.timeout, Verdict.crash, Verdict.backend_error):
        verdict = decide(own, [s for s in combined.sorries if s.pos.line <= file_lines])
    check = combined.model_copy(update={"verdict": verdict, "messages": own})

    problems: list[str] = []
    if verdict is not Verdict.valid:
        first_error = next((m.text for m in own if m.severity is Severity.error), "")
        problems.append(f"file check: {verdict.value}" + (f": {first_error}" if first_error else ""))
    axioms: dict[str, tuple[str, ...]] = {}
    for index, name in enumerate(theorem_names):
        found = _axioms_at(probe_messages, file_lines + 1 + index)
        if isinstance(found, str):
            problems.append(f"{name}: {found}")
            continue
        axioms[name] = found
        problems.extend(f"{name} depends on {a}" for a in found if a not in ALLOWED_AXIOMS)
    return Certification(ok=not problems, check=check, axioms=axioms, problems=tuple(problems))


def _axioms_at(messages: Sequence[Message], line: int) -> tuple[str, ...] | str:
    """The axioms reported on ``line``, or a problem description."""
    here = [m for m in messages if m.pos.line == line]
    for message in here:
        if message.severity is Severity.error:
            return f"#print axioms failed: {message.text}"
    for message in here:
        parsed = parse_axioms(message.text)
        if parsed is not None:
            return parsed
    return "no #print axioms answer"
