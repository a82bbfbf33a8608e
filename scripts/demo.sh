#!/usr/bin/env bash
# `make demo`: Lean setup when missing, then prove examples/quickstart.lean with the default configuration.
# Where Lean cannot be installed, stop with `prover doctor`'s diagnosis and exit 3.
set -uo pipefail
cd "$(dirname "$0")/.."
prover=".venv/bin/prover"
export PATH="$HOME/.elan/bin:$PATH"

bash scripts/setup_lean.sh
"$prover" doctor
status=$?
if [ "$status" -ne 0 ]; then
  echo "==> stopping: fix the lines marked 'missing' above, then run 'make demo' again" >&2
  exit "$status"
fi
out="$(mktemp -d)/quickstart.lean"
"$prover" prove examples/quickstart.lean --out "$out"
status=$?
echo "==> proofs written to $out"
exit "$status"
