"""miniF2F: the stored statement variants and published proofs (see ``../shared/datasets/minif2f*/README.md``).

The loaders themselves are schema-driven and shared with the other datasets.
"""

from __future__ import annotations

from prover.data.problems import load_problems
from prover.data.proofs import PublishedProof, load_published_proofs

__all__ = ["PROOF_FILES", "STATEMENT_FILES", "PublishedProof", "load_problems", "load_published_proofs"]

# file stem -> number of rows the README promises
STATEMENT_FILES: dict[str, int] = {
    "dspplus_minif2f": 488,
    "deepseek_v15_minif2f": 488,
    "goedel_v2_minif2f_test": 244,
    "yangky11_minif2f_lean4": 488,
    "harmonic_minif2f_test": 244,
    "harmonic_minif2f_valid": 241,
}
PROOF_FILES: dict[str, int] = {
    "deepseek_prover_v2_minif2f": 438,
    "kimina_prover_minif2f_test": 225,
    "dspplus_minif2f_test": 204,
    "seed_prover_minif2f": 30,
}
