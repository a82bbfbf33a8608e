"""The ``prover`` command line: parse flags, build Settings, call one library function, print with rich.

Exit codes: 0 ok, 1 task not achieved (not proved, Lean errors, findings), 2 bad input or usage,
3 missing external dependency (Lean, an endpoint). User errors print one line; ``-v`` shows details.

Keep this module light: heavy libraries (torch, transformers, ray, lean_dojo) are imported inside commands
only, so ``prover --help`` starts fast (see bench/startup.py).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from prover.errors import ProverError

app = typer.Typer(
    name="prover",
    help="Neurosymbolic theorem prover for Lean 4 + Mathlib. Finds proofs for `sorry`s that Lean accepts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

log = logging.getLogger("prover.cli")


@dataclass(frozen=True)
class GlobalOptions:
    config: Path | None
    verbose: int
    quiet: bool


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _configure_logging(verbose: int, quiet: bool, log_file: Path | None) -> None:
    from rich.logging import RichHandler

    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    handlers: list[logging.Handler] = [RichHandler(console=_console(stderr=True), show_path=verbose >= 2)]
    if log_file is not None:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    root = logging.getLogger()
    root.handlers = handlers
    root.setLevel(logging.DEBUG if log_file is not None else level)
    handlers[0].setLevel(level)


@app.callback()
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Settings file (default: ./prover.toml when present).")
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More output; -vv for debug.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    log_file: Annotated[Path | None, typer.Option("--log-file", help="Also write a debug log here.")] = None,
) -> None:
    _configure_logging(verbose, quiet, log_file)
    ctx.obj = GlobalOptions(config=config, verbose=verbose, quiet=quiet)


def _options(ctx: typer.Context) -> GlobalOptions:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, GlobalOptions) else GlobalOptions(config=None, verbose=0, quiet=False)


def fail(error: ProverError, ctx: typer.Context | None = None) -> NoReturn:
    """Print one line for a ProverError and exit with its code (traceback only with -v)."""
    verbose = _options(ctx).verbose if ctx is not None else 0
    if verbose:
        log.debug("details", exc_info=error)
    _console(stderr=True).print(f"[bold red]error:[/] {error}", markup=True)
    raise typer.Exit(error.exit_code)


def load(ctx: typer.Context, overrides: dict[str, Any] | None = None) -> Any:
    """The effective Settings for this command (file < env < flags)."""
    from prover.settings import load_settings

    try:
        return load_settings(_options(ctx).config, overrides).settings
    except ProverError as error:
        fail(error, ctx)


# ---------------------------------------------------------------------------------------- doctor
@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check every requirement (Python packages, Lean toolchain, Mathlib, REPL, LLM endpoints, memory).

    Prints a table with the exact fix for each failing line. Exit 0 when all required checks pass, 3 otherwise.
    """
    from rich.markup import escape
    from rich.table import Table

    from prover.doctor import CheckStatus, all_required_ok, diagnose

    settings = load(ctx)
    rows = diagnose(settings)
    table = Table(title="prover doctor", show_lines=False)
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    colour = {CheckStatus.ok: "green", CheckStatus.missing: "red", CheckStatus.warn: "yellow", CheckStatus.off: "dim"}
    for row in rows:
        status = row.status.value + ("" if row.required or row.status is CheckStatus.ok else " (optional)")
        table.add_row(escape(row.name), f"[{colour[row.status]}]{status}[/]", escape(row.detail), escape(row.fix))
    _console().print(table)
    if not all_required_ok(rows):
        _console(stderr=True).print("[bold red]error:[/] required dependencies are missing (see the fix column)")
        raise typer.Exit(3)


# ---------------------------------------------------------------------------------------- config
@config_app.command("show")
def config_show(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Print the effective settings and where each value came from (default, file, env, cli). Secrets masked."""
    import json

    from rich.table import Table

    from prover.settings import effective_rows, load_settings

    try:
        loaded = load_settings(_options(ctx).config)
    except ProverError as error:
        fail(error, ctx)
    rows = effective_rows(loaded)
    if fmt == "json":
        typer.echo(json.dumps([{"key": k, "value": v, "source": s} for k, v, s in rows], indent=2))
        return
    if fmt != "table":
        fail(_usage_error(f"--format must be table or json, not {fmt!r}"), ctx)
    table = Table(title="effective settings")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    table.add_column("source")
    for key, value, source in rows:
        table.add_row(key, value, source if source == "default" else f"[bold]{source}[/]")
    _console().print(table)


# ================================================================================ layer commands
# Each command: parse flags, build Settings with load(ctx, overrides), call ONE library function, render.
# >>> new commands go above this line (keep this marker) <<<


def _usage_error(message: str) -> ProverError:
    from prover.errors import InputError

    return InputError(message)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        _console(stderr=True).print("[bold red]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
