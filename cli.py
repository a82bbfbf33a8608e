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
        Path | None,
        typer.Option("--config", "-c", help="Settings file (default: ./prover.toml when present)."),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More output; -vv for debug.")
    ] = 0,
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
    from prover.doctor import all_required_ok, diagnose
    from prover.doctor_view import doctor_table, fix_lines

    settings = load(ctx)
    rows = diagnose(settings)
    console = _console()
    console.print(doctor_table(rows))
    for line in fix_lines(rows):
        console.print(line, markup=False, highlight=False, soft_wrap=True)  # never wrapped: copy-paste
    if not all_required_ok(rows):
        _console(stderr=True).print(
            "[bold red]error:[/] required dependencies are missing (see the fixes above)"
        )
        raise typer.Exit(3)


# ---------------------------------------------------------------------------------------- config
@config_app.command("show")
def config_show(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Print the effective settings and where each value came from (default, file, env, cli). Secrets masked."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from prover.settings import effective_rows, effective_values, load_settings

    if fmt not in ("table", "json"):
        fail(_usage_error(f"--format must be table or json, not {fmt!r}"), ctx)
    try:
        loaded = load_settings(_options(ctx).config)
    except ProverError as error:
        fail(error, ctx)
    if fmt == "json":
        values = effective_values(loaded)
        typer.echo(json.dumps([{"key": k, "value": v, "source": s} for k, v, s in values], indent=2))
        return
    # Key names are never cut (two keys may share a long prefix); values read as prover.toml text.
    table = Table(title="effective settings")
    table.add_column("key", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", overflow="fold")
    for key, value, source in effective_rows(loaded):
        shown = escape(source) if source == "default" else f"[bold]{escape(source)}[/]"
        table.add_row(key, escape(value), shown)
    _console().print(table)


# ================================================================================ layer commands
# Each command: parse flags, build Settings with load(ctx, overrides), call ONE library function, render.
# ------------------------------------------------------------------------------------ retrieval
index_app = typer.Typer(help="Build and inspect the premise index used by retrieval.", no_args_is_help=True)
app.add_typer(index_app, name="index")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="A goal, a statement, informal text, or a Lean error message.")
    ],
    k: Annotated[int | None, typer.Option("-k", help="How many premises (default: retrieval.k).")] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="bm25, dense or hybrid.")] = None,
    name: Annotated[
        bool, typer.Option("--name", help="Treat QUERY as a (misspelt) declaration name: fuzzy name lookup.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Premises for QUERY from the index built by `prover index build`.

    An `unknown identifier 'X'` / `unknown constant 'X'` message looks up the real names nearest to X.
    """
    import json

    if fmt not in ("table", "json"):
        fail(_usage_error(f"--format must be table or json, not {fmt!r}"), ctx)
    if not query.strip():
        fail(_usage_error("empty query: give a goal, a statement, a name or a Lean error"), ctx)
    settings = load(ctx, {"retrieval.k": k, "retrieval.mode": mode})
    from prover.errors import RetrievalError
    from retrieval.names import names_in_error
    from retrieval.query import premises_for_error
    from retrieval.retrievers import open_retriever_or_bm25

    try:
        try:
            retriever, missing = open_retriever_or_bm25(settings)
        except RetrievalError as error:  # nothing to search: the user has a command to run first
            fail(_usage_error(str(error)), ctx)
        if missing is not None and mode is not None:  # asked for by name: no silent substitute
            fail(_usage_error(f"--mode {mode}: {missing.problem}; run `{missing.command}`"), ctx)
        if missing is not None:
            _console(stderr=True).print(f"note: {missing}", markup=False)
        top = settings.retrieval.k
        if name:
            hits = retriever.lookup_name(query, top)
        elif names_in_error(query):
            hits = premises_for_error(retriever, query, top)
        else:
            hits = retriever.search(query, top)
    except ProverError as error:
        fail(error, ctx)
    if fmt == "json":
        rows = [{"name": h.premise.name, "score": h.score, "signature": h.premise.signature} for h in hits]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"premises ({settings.retrieval.mode if not name else 'name lookup'})")
    for column in ("#", "score", "name", "signature"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(str(rank), f"{hit.score:.4f}", escape(hit.premise.name), escape(hit.premise.signature))
    _console().print(table)


@index_app.command("build")
def index_build(
    ctx: typer.Context,
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Premise corpus JSONL(.gz); default: dump lean_project/ through Lean."),
    ] = None,
    dense: Annotated[
        bool | None,
        typer.Option(
            "--dense/--no-dense", help="Also embed premises (default: unless retrieval.mode is bm25)."
        ),
    ] = None,
    dense_model: Annotated[
        str | None, typer.Option("--dense-model", help="sentence-transformers model name or path.")
    ] = None,
) -> None:
    """Build the premise index (BM25, and dense embeddings) once; a later build with the same corpus and
    model reuses it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from retrieval.dump import dump_premises
    from retrieval.store import build_index

    settings = load(ctx, {"retrieval.dense_model": dense_model})
    with_dense = dense if dense is not None else settings.retrieval.mode != "bm25"
    try:
        if corpus is None:
            corpus = settings.index_dir() / "dumps" / "lean_premises.jsonl"
            _console(stderr=True).print("dumping premises through Lean (import Mathlib; this takes minutes)…")
            dump_premises(settings, corpus)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=_console(stderr=True), transient=True) as progress:
            tasks: dict[str, Any] = {}

            def on_progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            report = build_index(corpus, settings, dense=with_dense, progress=on_progress)
    except ProverError as error:
        fail(error, ctx)
    built = ", ".join(report.built) or "nothing (index up to date)"
    _console().print(
        f"index {report.corpus_key}: {report.premises} premises; built {built}; "
        f"{report.seconds:.1f} s; {report.size_bytes / 1e6:.1f} MB at {report.index_dir}"
    )


@index_app.command("info")
def index_info(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Show the current premise index: corpus, counts, sizes, dense models."""
    from retrieval.store import PremiseIndex, current_index_dir

    if fmt not in ("table", "json"):
        fail(_usage_error(f"--format must be table or json, not {fmt!r}"), ctx)
    settings = load(ctx)
    try:
        info = PremiseIndex(current_index_dir(settings)).info()
    except ProverError as error:
        fail(error, ctx)
    if fmt == "json":
        typer.echo(info.model_dump_json(indent=2))
        return
    from rich.table import Table

    table = Table(title="premise index", show_header=False)
    table.add_column("key")
    table.add_column("value", overflow="fold")
    table.add_row("directory", str(info.index_dir))
    table.add_row("corpus", f"{info.corpus_path} (sha256 {info.corpus_sha256[:16]}…)")
    filters = f"private {info.include_private}, deprecated {info.include_deprecated}"
    table.add_row("premises", f"{info.premises} ({filters})")
    table.add_row("size", f"{info.size_bytes / 1e6:.1f} MB (BM25 built in {info.bm25_build_s:.1f} s)")
    for model in info.dense:
        detail = f"dim {model.dimension}, {model.size_bytes / 1e6:.1f} MB, built in {model.build_s:.0f} s"
        table.add_row(f"dense {model.model}", detail)
    if not info.dense:
        table.add_row("dense", "none (prover index build --dense)")
    _console().print(table)


# ----------------------------------------------------------------------------------------- check
@app.command("check")
def check_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The Lean file to check.", show_default=False)],
    fmt: Annotated[
        str, typer.Option("--format", help="text, json or vscode (a VS Code problem matcher)")
    ] = "text",
    backend: Annotated[
        str | None, typer.Option("--backend", help="repl, kimina or dojo (default: lean.backend)")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds for Lean (default: lean.timeout_s).")
    ] = None,
) -> None:
    """Check FILE with Lean and print its messages as FILE:LINE:COL: SEVERITY: TEXT (1-based, as editors count).

    Exit 0 when Lean accepts the file, 1 on Lean errors, sorry or an unfinished check, 2 when the file is
    missing or not UTF-8, 3 when Lean is unavailable.
    """
    import asyncio

    from prover.errors import LeanUnavailable
    from prover.lean.check_file import check_file
    from prover.lean.diagnostics import OutputFormat, render
    from prover.types import Verdict

    try:
        output = OutputFormat(fmt)
    except ValueError:
        fail(_usage_error(f"--format must be text, json or vscode, not {fmt!r}"), ctx)
    settings = load(ctx, {"lean.backend": backend, "lean.timeout_s": timeout})
    try:
        checked = asyncio.run(check_file(file, settings.lean))
    except LeanUnavailable as error:
        fail(LeanUnavailable(f"{error.message} (run `prover doctor` for the fix)", where=error.where), ctx)
    except ProverError as error:
        fail(error, ctx)
    rendered = render(checked, output)
    if rendered:
        typer.echo(rendered)
    if output is OutputFormat.text and not _options(ctx).quiet:
        summary = f"{file}: {checked.verdict.value} ({checked.elapsed_s:.2f} s)"
        _console(stderr=True).print(summary, markup=False)
    raise typer.Exit(0 if checked.verdict is Verdict.valid else 1)


# ----------------------------------------------------------------------------------------- prove
@app.command()
def prove(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="The Lean file whose `sorry` theorems to prove.", show_default=False)
    ],
    theorem: Annotated[
        list[str] | None, typer.Option("--theorem", "-t", help="Prove only this theorem (repeatable).")
    ] = None,
    budget_calls: Annotated[
        int | None, typer.Option("--budget-calls", help="LLM calls per theorem (search.max_llm_calls).")
    ] = None,
    budget_minutes: Annotated[
        float | None, typer.Option("--budget-minutes", help="Wall time per theorem (search.wall_minutes).")
    ] = None,
    no_llm: Annotated[
        bool, typer.Option("--no-llm", help="Symbolic cascade and step search only, no model.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse or store LLM answers (llm.cache = false).")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the proved file here (atomic).")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite FILE, keeping FILE.bak.")] = False,
    trace: Annotated[
        Path | None, typer.Option("--trace", help="Write one JSON trace per theorem here.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json or vscode")] = "text",
) -> None:
    """Prove every theorem of FILE that has a `sorry` (or the --theorem ones); only certified proofs count.

    Exit 0 when all are proved, 1 when some are not, 2 on bad input, 3 when Lean or a required endpoint is
    unavailable. Nothing is written before the search ends (an interrupted run leaves FILE as it was).
    """
    from rich.live import Live

    from prover.search.prove_path import prove_path
    from prover.search.report_view import LiveProgress, as_json, as_vscode, summary_table

    if fmt not in ("text", "json", "vscode"):
        fail(_usage_error(f"--format must be text, json or vscode, not {fmt!r}"), ctx)
    if out is not None and in_place:
        fail(_usage_error("give --out or --in-place, not both"), ctx)
    settings = load(
        ctx,
        {
            "search.max_llm_calls": budget_calls,
            "search.wall_minutes": budget_minutes,
            "llm.cache": False if no_cache else None,
        },
    )
    progress = LiveProgress()
    show_live = fmt == "text" and not _options(ctx).quiet
    console = _console(stderr=True)
    try:
        with Live(progress.render(), console=console, transient=True, auto_refresh=False) as live:

            def on_event(event: Any) -> None:
                progress.update(event)
                if show_live:
                    live.update(progress.render(), refresh=True)

            run = prove_path(
                settings,
                file,
                names=theorem or (),
                use_llm=not no_llm,
                out=out,
                in_place=in_place,
                trace_dir=trace,
                on_event=on_event,
            )
    except ProverError as error:
        fail(error, ctx)
    match fmt:
        case "json":
            typer.echo(as_json(run))
        case "vscode":
            typer.echo(as_vscode(run))
        case _:
            _console().print(summary_table(run))
            if run.written is not None:
                _console().print(f"wrote {run.written}" + (f" (backup {run.backup})" if run.backup else ""))
            for path in run.traces:
                _console().print(f"trace {path}", markup=False)
    raise typer.Exit(0 if run.report.all_proved else 1)


# ------------------------------------------------------------------------------------------ show
@app.command()
def show(
    ctx: typer.Context,
    trace: Annotated[
        Path, typer.Argument(help="A trace written by `prover prove --trace DIR`.", show_default=False)
    ],
    dot: Annotated[
        Path | None, typer.Option("--dot", help="Also write the tree as Graphviz DOT here.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a standalone HTML page here.")
    ] = None,
) -> None:
    """Render a saved search tree: statuses, strategies and costs; export it as DOT or HTML."""
    from prover.search.output import write_atomic
    from prover.search.trace import load_trace
    from prover.search.trace_view import rich_tree, to_dot, to_html

    try:
        loaded = load_trace(trace)
        if dot is not None:
            write_atomic(dot, to_dot(loaded))
        if html is not None:
            write_atomic(html, to_html(loaded))
    except ProverError as error:
        fail(error, ctx)
    _console().print(rich_tree(loaded), soft_wrap=False)


@app.command()
def audit(
    ctx: typer.Context,
    source: Annotated[
        Path,
        typer.Argument(help="A .lean file or a dataset .jsonl of theorem statements.", show_default=False),
    ],
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Z3 seconds per query (smt.timeout_s).")
    ] = None,
) -> None:
    """Decide every theorem with Z3 and exact evaluation: valid, refuted (with a counterexample), vacuous
    (inconsistent hypotheses), unknown or unsupported. Catches misformalized statements before proving them.
    Exit 0 when the audit ran, 2 on bad input."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from prover.smt.audit import audit_path

    if fmt not in ("table", "json"):
        fail(_usage_error(f"--format must be table or json, not {fmt!r}"), ctx)
    settings = load(ctx, {"smt.timeout_s": timeout})
    try:
        rows = audit_path(source, settings.smt)
    except ProverError as error:
        fail(error, ctx)
    if fmt == "json":
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2, ensure_ascii=False))
        return
    colour = {"valid": "green", "refuted": "bold red", "vacuous": "bold magenta", "unknown": "yellow"}
    table = Table(title=f"audit of {source}")
    for column in ("theorem", "status", "evidence", "time (s)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = colour.get(row.status.value, "dim")
        table.add_row(
            escape(row.name), f"[{style}]{row.status.value}[/]", escape(row.evidence), f"{row.elapsed_s:.2f}"
        )
    _console().print(table)
    counts = {
        status: sum(1 for row in rows if row.status.value == status)
        for status in colour | {"unsupported": ""}
    }
    _console().print(", ".join(f"{status}: {count}" for status, count in counts.items()))


# ----------------------------------------------------------------------------------------- guard
@app.command()
def guard(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The Lean file to check (a proof from any source).")],
    original: Annotated[
        Path,
        typer.Option("--original", help="The original statements: a .lean file, or a dataset .jsonl."),
    ],
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow", help="Allow a construct: native_decide, or sorry (for sketches). Repeatable."
        ),
    ] = None,
) -> None:
    """Check that FILE proves each theorem of ORIGINAL with the identical statement, using nothing forbidden.

    Prints `file:line:col: error: …` per finding. Exit 0 clean, 1 with findings, 2 on bad input.
    """
    from prover.guard_run import guard_path

    allowed = set(allow or ())
    unknown = allowed - {"native_decide", "sorry"}
    if unknown:
        fail(_usage_error(f"--allow takes native_decide or sorry, not {', '.join(sorted(unknown))}"), ctx)
    settings = load(ctx)
    try:
        report = guard_path(
            file,
            original,
            allow_native_decide="native_decide" in allowed or settings.lean.allow_native_decide,
            allow_sorry="sorry" in allowed,
        )
    except ProverError as error:
        fail(error, ctx)
    lines = [
        f"{file}:{check.pos.line if check.pos else 1}:{check.pos.column + 1 if check.pos else 1}: error: "
        f"theorem `{check.name}`: {check.reason}"
        for check in report.statements
        if not check.ok
    ]
    lines += [f"{file}:{f.pos.line}:{f.pos.column + 1}: error: {f.message}" for f in report.findings]
    for line in lines:
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)
    if not _options(ctx).quiet:
        typer.echo(f"{file}: ok ({len(report.statements)} statement(s) identical, no forbidden construct)")


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
