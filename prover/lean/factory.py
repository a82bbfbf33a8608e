"""``open_backend``: the ``LeanBackend`` that ``lean.backend`` names, built from the Lean settings.

Backend modules are imported here, on use, so that importing prover stays light (``dojo`` pulls LeanDojo
only when a session starts; ``kimina`` pulls httpx).
"""

from __future__ import annotations

from prover.lean.backend import LeanBackend
from prover.settings import LeanSettings


def open_backend(lean: LeanSettings) -> LeanBackend:
    """A new backend for ``lean.backend``; the caller owns it and must ``await backend.close()``.

    Nothing is started yet: a missing Lean toolchain or an unreachable server shows up as ``LeanUnavailable``
    on first use.
    """
    match lean.backend:
        case "repl":
            from prover.lean.repl import ReplBackend

            return ReplBackend(lean)
        case "kimina":
            from prover.lean.kimina import KiminaBackend

            return KiminaBackend(lean)
        case "dojo":
            from prover.lean.dojo import DojoBackend

            return DojoBackend(lean)
