#!/usr/bin/env bash
# Install elan + the pinned Lean toolchain and build lean_project/ (Mathlib cache + REPL) when missing.
# Idempotent. Exits 3 when Lean cannot be installed (for example without network).
set -uo pipefail
cd "$(dirname "$0")/.."
project="${PROVER_LEAN__PROJECT_DIR:-lean_project}"
export PATH="$HOME/.elan/bin:$PATH"

if ! command -v lake >/dev/null 2>&1; then
  echo "==> elan/lake not found: installing elan (needs network)"
  installer="$(mktemp)"
  if curl --max-time 60 -sSfL https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -o "$installer" \
     && sh "$installer" -y --default-toolchain none; then
    export PATH="$HOME/.elan/bin:$PATH"
  else
    echo "==> could not install elan (no network?)" >&2
    rm -f "$installer"
    exit 3
  fi
  rm -f "$installer"
fi

if [ ! -x "$project/.lake/packages/REPL/.lake/build/bin/repl" ] || [ ! -d "$project/.lake/packages/mathlib/.lake/build" ]; then
  echo "==> building $project (Mathlib cache + REPL); the first time takes a while"
  (cd "$project" && lake exe cache get && lake build) || exit 3
fi
echo "==> Lean ready in $project"
