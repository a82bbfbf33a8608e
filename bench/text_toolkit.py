"""Time the Lean text toolkit on every published miniF2F proof: parse, sorrify, splice, scan, guard.

    python bench/text_toolkit.py [--repeats 5] [--datasets ../shared/datasets]

Prints one row per stage: total seconds per pass over all proofs (median over repeats, with min and max),
microseconds per proof, and the ratio to parsing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prover.data.minif2f import PROOF_FILES, load_published_proofs  # noqa: E402
from prover.lean.guard import scan_forbidden  # noqa: E402
from prover.lean.lexer import tokenize  # noqa: E402
from prover.lean.normalize import normalize_syntax  # noqa: E402
from prover.lean.sketch import sorrify, splice  # noqa: E402
from prover.lean.text import parse_file  # noqa: E402


def timed(work: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    args = parser.parse_args()
    folder = args.datasets / "minif2f-proofs"
    if not folder.is_dir():
        parser.error(f"no published proofs at {folder}")
    texts = [p.proof for stem in PROOF_FILES for p in load_published_proofs(folder / f"{stem}.jsonl")]
    sketches = [sorrify(text) for text in texts]
    stages: list[tuple[str, Callable[[], object]]] = [
        ("tokenize", lambda: [tokenize(t) for t in texts]),
        ("parse_file", lambda: [parse_file(t) for t in texts]),
        ("sorrify", lambda: [sorrify(t) for t in texts]),
        ("splice", lambda: [splice(s.text, s.fills) for s in sketches]),
        ("sorrify+splice", lambda: [splice(s.text, s.fills) for s in (sorrify(t) for t in texts)]),
        ("scan_forbidden", lambda: [scan_forbidden(t) for t in texts]),
        ("normalize_syntax", lambda: [normalize_syntax(t) for t in texts]),
    ]
    chars = sum(len(t) for t in texts)
    print(
        f"{len(texts)} published proofs, {chars / 1e6:.2f} M characters, {sum(len(s.holes) for s in sketches)} "
        f"holes; {args.repeats} repeats"
    )
    print(f"{'stage':<18}{'median s':>10}{'min s':>9}{'max s':>9}{'µs/proof':>10}{'× parse':>9}")
    parse_median = None
    for name, work in stages:
        samples = timed(work, args.repeats)
        median = statistics.median(samples)
        if name == "parse_file":
            parse_median = median
        ratio = f"{median / parse_median:.2f}" if parse_median else "-"
        print(
            f"{name:<18}{median:>10.3f}{min(samples):>9.3f}{max(samples):>9.3f}"
            f"{median / len(texts) * 1e6:>10.0f}{ratio:>9}"
        )


if __name__ == "__main__":
    main()
