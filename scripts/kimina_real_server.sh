#!/usr/bin/env bash
# The published Kimina Lean Server (kimina-ast-server 2.1.3) with the project's REPL double behind it, offline
# after one install. Used by scripts/kimina_real_acceptance.py; no Lean, no Mathlib, no database.
#
#   scripts/kimina_real_server.sh setup [DIR]          # once (needs PyPI): venv + packages + workspace
#   scripts/kimina_real_server.sh run DIR PORT REPLS [REPL-DOUBLE ARGS...]   # foreground server
#
# DIR defaults to ~/.cache/prover/kimina-real. What `setup` makes there, and why:
#   venv/            kimina-ast-server==2.1.3 with fastapi<0.119 (newer FastAPI breaks its routers);
#   official-client/ kimina-client==0.2.1 (--no-deps --target: its module `kimina_client` clashes with the
#                    server's kimina-ast-client, so it is put on PYTHONPATH only for client runs);
#   stub/prisma/     the server imports a generated Prisma client at start-up; `prisma generate` needs the
#                    network, and without LEAN_SERVER_DATABASE_URL the server never uses it: a stub class;
#   stub/sitecustomize.py  pydantic refuses `typing.TypedDict` before Python 3.12 and the server's models
#                    import it from `typing`: swap in `typing_extensions.TypedDict` at start-up;
#   bin/lake         the server starts each REPL as `lake env <repl_path>`: a fake lake that runs the rest;
#   ws/              LEAN_SERVER_WORKSPACE: repl/.lake/build/bin/repl runs tests/fakes/repl_double.py
#                    (arguments from REPL_DOUBLE_ARGS), plus the folders the server checks exist.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python_bin="${PYTHON:-python3}"
cmd="${1:-}"
dir="${2:-$HOME/.cache/prover/kimina-real}"

case "$cmd" in
setup)
  mkdir -p "$dir"/{bin,stub/prisma,official-client} "$dir"/ws/{repl/.lake/build/bin,ast_export/.lake/build/bin,mathlib4}
  [ -x "$dir/venv/bin/python" ] || "$python_bin" -m venv "$dir/venv"
  "$dir/venv/bin/pip" install -q 'kimina-ast-server==2.1.3' 'fastapi<0.119'
  "$dir/venv/bin/pip" install -q --no-deps --upgrade --target "$dir/official-client" 'kimina-client==0.2.1'
  cat > "$dir/bin/lake" <<'LAKE'
#!/bin/sh
# fake lake: `lake env CMD ARGS...` runs CMD ARGS...
[ "$1" = env ] && shift
exec "$@"
LAKE
  cat > "$dir/ws/repl/.lake/build/bin/repl" <<REPL
#!/bin/sh
exec "$repo/.venv/bin/python" "$repo/tests/fakes/repl_double.py" --mode scripted \$REPL_DOUBLE_ARGS
REPL
  printf '#!/bin/sh\necho "ast-export: not available (fake workspace)" >&2\nexit 1\n' \
    > "$dir/ws/ast_export/.lake/build/bin/ast-export"
  chmod +x "$dir/bin/lake" "$dir/ws/repl/.lake/build/bin/repl" "$dir/ws/ast_export/.lake/build/bin/ast-export"
  cat > "$dir/stub/prisma/__init__.py" <<'PRISMA'
"""Stand-in for the generated Prisma client: the server only connects when LEAN_SERVER_DATABASE_URL is set."""


class Prisma:
    async def connect(self) -> None:
        raise RuntimeError("no database (Prisma stub)")

    async def disconnect(self) -> None:
        return None
PRISMA
  cat > "$dir/stub/sitecustomize.py" <<'SITE'
# pydantic needs typing_extensions.TypedDict on Python < 3.12; the server's models import typing.TypedDict.
import typing

import typing_extensions

typing.TypedDict = typing_extensions.TypedDict  # type: ignore[misc]
SITE
  echo "kimina-real: set up in $dir"
  ;;
run)
  port="${3:?port}"
  repls="${4:?number of REPLs}"
  shift 4
  cd "$dir"
  export PATH="$dir/bin:$PATH" PYTHONPATH="$dir/stub" LEAN_SERVER_WORKSPACE="$dir/ws"
  export LEAN_SERVER_HOST=127.0.0.1 LEAN_SERVER_PORT="$port" LEAN_SERVER_MAX_REPLS="$repls"
  export LEAN_SERVER_LOG_LEVEL="${LEAN_SERVER_LOG_LEVEL:-WARNING}" REPL_DOUBLE_ARGS="$*"
  exec "$dir/venv/bin/kimina-ast-server"
  ;;
*)
  sed -n '2,8p' "$0" >&2
  exit 2
  ;;
esac
