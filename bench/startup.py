"""Start-up time of `prover --help` and the heavy modules it imports (must be none).

Run: python bench/startup.py [--runs 10]
Prints the median, min and max wall time over the runs (each a new process) and the heavy modules imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("torch", "transformers", "sentence_transformers", "ray", "lean_dojo")
REPO = Path(__file__).resolve().parent.parent
PROBE = (
    "import sys\nsys.argv = ['prover', '--help']\nimport cli\n"
    "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
    f"print('HEAVY=' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    prover = Path(sys.executable).parent / "prover"
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([str(prover), "--help"], cwd=REPO, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    heavy = probe.stdout.strip().splitlines()[-1].removeprefix("HEAVY=")
    print(f"{'measure':<28} {'value':>10}")
    print(f"{'runs':<28} {args.runs:>10}")
    print(f"{'median wall time (s)':<28} {statistics.median(times):>10.3f}")
    print(f"{'min / max (s)':<28} {min(times):>5.3f}/{max(times):.3f}")
    print(f"{'heavy modules imported':<28} {heavy or '(none)':>10}")


if __name__ == "__main__":
    main()
