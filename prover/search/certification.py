"""The last gate before "proved": certify the assembled text of one theorem.

A theorem is proved only when all of these pass on the text that would be written:
- the forbidden-construct scan (no sorry, no ``#eval``/IO, no new axioms, ``native_decide`` only if allowed),
- the statement guard (the theorem's statement is exactly the original one),
- ``prover.lean.certify``: a whole-text check in a fresh environment plus ``#print axioms`` (standard only).
Anything else — a proof that passed in tactic mode, in a reused environment, or came from the lemma cache —
is a candidate, and a candidate that fails here is recorded as such and never reported proved.
"""

from __future__ import annotations

from prover.lean.backend import LeanBackend
from prover.lean.certify import certify
from prover.lean.guard import check_statement, scan_forbidden
from prover.types import Frozen


class CertificationResult(Frozen):
    ok: bool
    problems: tuple[str, ...] = ()
    axioms: tuple[str, ...] = ()
    lean_checks: int = 0  # Lean checks certification ran (0 when the scan or guard refused the text)


async def certify_text(
    backend: LeanBackend,
    *,
    original: str,
    context: str,
    generated: str,
    name: str,
    allow_native_decide: bool,
    timeout_s: float,
) -> CertificationResult:
    """Scan ``generated``, guard and certify ``context + generated`` for theorem ``name`` of ``original``.

    ``context`` is the user's own file text before the theorem (taken verbatim); ``generated`` is what the
    search wrote (lemmas and the theorem with its proof) and is scanned in full, ``sorry`` included.
    """
    final = context.rstrip() + "\n\n" + generated
    problems = [
        f"forbidden: {finding.message} (line {finding.pos.line})"
        for finding in scan_forbidden(generated, allow_sorry=False, allow_native_decide=allow_native_decide)
    ]
    statement = check_statement(original, final, name)
    if not statement.ok:
        problems.append(f"statement guard: {statement.reason}")
    if problems:
        return CertificationResult(ok=False, problems=tuple(problems))  # never send it to Lean
    certification = await certify(backend, final, [name], timeout=timeout_s)
    axioms = tuple(sorted({a for found in certification.axioms.values() for a in found}))
    return CertificationResult(
        ok=certification.ok, problems=certification.problems, axioms=axioms, lean_checks=1
    )
