"""The one exception tree of prover.

Lean *rejecting* a proof is not an exception: it is a value (``Verdict`` inside a ``CheckResult``).
Exceptions mean that the machinery failed or that the user's input cannot be used. Each class carries the
process exit code that ``cli.py`` maps it to::

    ProverError                      base; never raised directly                        exit 1
    ├── InputError                   the user's input is unusable (file, flag, config)   exit 2
    │   ├── LeanSourceError          a Lean file cannot be read or parsed
    │   └── ConfigError              prover.toml / PROVER_* / flags are invalid
    ├── DependencyError              an external dependency is missing                   exit 3
    │   ├── LeanUnavailable          no lean/lake/REPL, project not built, server down
    │   └── EndpointUnavailable      an LLM endpoint cannot be reached
    ├── BackendError                 a Lean backend misbehaved (protocol, I/O)           exit 1
    │   ├── ProtocolError            the REPL / server answered something unparseable
    │   └── StaleStateError          a StateRef outlived the process that made it
    ├── ModelError                   an LLM call failed after all retries                exit 1
    ├── BudgetExhausted              a capped budget (calls, tokens, cost, time) ran out exit 1
    ├── SmtError                     the Z3 engine failed (not: "unknown")               exit 1
    └── RetrievalError               the premise index cannot be built or loaded        exit 1
        └── CorpusError              the premise corpus is empty or corrupt              exit 2

A message is one line that names what failed and, when known, the file and line (``where``).
"""

from __future__ import annotations

from pathlib import Path


class ProverError(Exception):
    """Base of every error prover raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(ProverError):
    """The user's input (file, flag, configuration) cannot be used."""

    exit_code = 2


class LeanSourceError(InputError):
    """A Lean source file cannot be read, decoded or parsed."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None) -> None:
        where = None
        if path is not None:
            where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(message, where=where)
        self.path = path
        self.line = line


class ConfigError(InputError):
    """The effective settings are invalid."""


class DependencyError(ProverError):
    """An external dependency (Lean, an endpoint) is missing or unreachable."""

    exit_code = 3


class LeanUnavailable(DependencyError):
    """Lean, lake, the REPL binary or a Lean server cannot be used."""


class EndpointUnavailable(DependencyError):
    """A configured LLM endpoint cannot be reached."""


class BackendError(ProverError):
    """A Lean backend failed as machinery (not: Lean rejected a proof)."""


class ProtocolError(BackendError):
    """The REPL or a Lean server answered something that breaks the protocol."""


class StaleStateError(BackendError):
    """A proof-state reference was used after the process that created it restarted."""


class ModelError(ProverError):
    """An LLM request failed for good (after the configured retries)."""


class BudgetExhausted(ProverError):
    """A capped budget ran out; the caller asked to be stopped."""

    def __init__(self, message: str, *, resource: str = "", where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.resource = resource


class SmtError(ProverError):
    """The SMT engine failed as machinery (Z3 crashed, a worker died)."""


class RetrievalError(ProverError):
    """The premise index cannot be built or loaded."""


class CorpusError(RetrievalError):
    """The premise corpus is empty, unreadable or corrupt."""

    exit_code = 2
