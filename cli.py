"""The ``prover`` command line: parse flags, build Settings, call one library function, print with rich.

Exit codes: 0 ok, 1 task not achieved (not proved, Lean errors, findings), 2 bad input or usage,
3 missing external dependency (Lean, an endpoint). User errors print one line; ``-v`` shows details.

Keep this module light: heavy libraries (torch, transformers, ray, lean_dojo) are imported inside commands
only, so ``prover --help`` starts fast (see bench/startup.py).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from prover.cli_help import ProverGroup
from prover.cli_logging import configure_logging
from prover.errors import ProverError

app = typer.Typer(
    name="prover",
    cls=ProverGroup,
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


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"prover {version('prover')}")
        except PackageNotFoundError:
            typer.echo("prover (not installed: run `pip install -e .`)")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Settings file (default: ./prover.toml when present)."),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, show_default=False, help="More output (repeat: -vv for debug)."
        ),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only errors (prove: no table; the exit code tells).")
    ] = False,
    log_file: Annotated[Path | None, typer.Option("--log-file", help="Also write a debug log here.")] = None,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """Neurosymbolic theorem prover for Lean 4 + Mathlib. Finds proofs for `sorry`s that Lean accepts.

    Examples:

      prover doctor
      prover prove algebra.lean --out algebra.proved.lean
      prover check algebra.proved.lean
      prover -v prove algebra.lean --theorem mathd_algebra_478 --no-llm
    """
    del version
    configure_logging(verbose, quiet, log_file)
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

    Prints a table, then the exact fix for each failing line on a line of its own (copy and paste it).
    Exit 0 when all required checks pass, 3 otherwise.

    Examples:

      prover doctor
      PROVER_LEAN__BACKEND=kimina prover doctor
    """
    from prover.doctor import all_required_ok, diagnose
    from prover.doctor_view import doctor_table, fix_lines

    settings = load(ctx)
    rows = diagnose(settings)
    console = _console()
    console.print(doctor_table(rows), soft_wrap=False)
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
    fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
) -> None:
    """Print the effective settings and where each value came from (default, file, env, cli). Secrets masked.

    Table values are written as in prover.toml; `--format json` gives JSON values (null for unset).

    Examples:

      prover config show
      prover --config ci.toml config show --format json
    """
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
        source = _relative(source)
        shown = escape(source) if source == "default" else f"[bold]{escape(source)}[/]"
        table.add_row(key, escape(value), shown)
    _console().print(table, soft_wrap=False)


def _relative(source: str) -> str:
    """A settings file's path relative to the working directory when it is below it (shorter to read)."""
    if source in ("default", "env", "cli"):
        return source
    try:
        return str(Path(source).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return source


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
    k: Annotated[
        int | None, typer.Option("-k", help="How many premises.", show_default="retrieval.k = 10")
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode", metavar="bm25|dense|hybrid", help="Ranking.", show_default="retrieval.mode = hybrid"
        ),
    ] = None,
    name: Annotated[
        bool, typer.Option("--name", help="Treat QUERY as a (misspelt) declaration name: fuzzy name lookup.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
) -> None:
    """Premises for QUERY from the index built by `prover index build`.

    An `unknown identifier 'X'` / `unknown constant 'X'` message looks up the real names nearest to X.
    An index without dense embeddings is searched with BM25 alone (with a note); exit 2 when no index
    was built or QUERY is empty.

    Examples:

      prover search "a * b ≤ (a ^ 2 + b ^ 2) / 2"
      prover search "unknown identifier 'Nat.add_sub_cancle'"
      prover search --name Nat.succ_le_iff -k 5
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
    model reuses it.

    Examples:

      prover index build
      prover index build --corpus premises.jsonl.gz --no-dense
      prover index build --dense
    """
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
        err = _console(stderr=True)
        with Progress(*columns, console=err, transient=True) as progress:
            tasks: dict[str, Any] = {}
            logged: dict[str, int] = {}  # without a terminal (a log, CI): a line per stage and per 10%

            def on_progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)
                tenth = 10 * done // max(total, 1)
                if not err.is_terminal and logged.get(stage, -1) < tenth:
                    logged[stage] = tenth
                    err.print(f"{stage}: {done}/{total}", markup=False)

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
    fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
) -> None:
    """Show the current premise index: corpus, counts, sizes, dense models.

    Examples:

      prover index info
      prover index info --format json
    """
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
        str | None,
        typer.Option(
            "--backend", metavar="repl|kimina|dojo", help="Lean backend.", show_default="lean.backend = repl"
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Seconds for Lean.", show_default="lean.timeout_s = 60"),
    ] = None,
    safe: Annotated[
        bool,
        typer.Option(
            "--safe", help="Refuse (exit 2) a file with #eval, run_cmd, IO, unsafe… (code Lean would run)."
        ),
    ] = False,
) -> None:
    """Check FILE with Lean and print its messages as FILE:LINE:COL: SEVERITY: TEXT (1-based, as editors count).

    Checking a file compiles it, as `lake build` does: `#eval`, `run_cmd` and the like run code on this
    machine. The forbidden-construct scan runs first and prints its findings as warnings; `--safe` refuses
    to check a file with any construct that would run code. Exit 0 when Lean accepts the file, 1 on Lean
    errors, sorry or an unfinished check, 2 when the file is missing, not UTF-8 or refused by `--safe`,
    3 when Lean is unavailable.

    Examples:

      prover check algebra.lean
      prover check --safe downloaded.lean
      prover check algebra.lean --format vscode
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
        checked = asyncio.run(check_file(file, settings.lean, safe=safe))
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
        list[str] | None,
        typer.Option("--theorem", "-t", metavar="NAME", help="Prove only this theorem (repeatable)."),
    ] = None,
    at: Annotated[
        int | None,
        typer.Option(
            "--at", metavar="LINE", help="Prove only the theorem at this 1-based line (editor cursor)."
        ),
    ] = None,
    budget_calls: Annotated[
        int | None,
        typer.Option(
            "--budget-calls", help="LLM calls per theorem.", show_default="search.max_llm_calls = 200"
        ),
    ] = None,
    budget_minutes: Annotated[
        float | None,
        typer.Option(
            "--budget-minutes", help="Wall time per theorem.", show_default="search.wall_minutes = 30"
        ),
    ] = None,
    no_llm: Annotated[
        bool, typer.Option("--no-llm", help="Symbolic cascade and step search only, no model.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse or store LLM answers (llm.cache = false).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write the proved file here (atomic).")
    ] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite FILE, keeping FILE.bak.")] = False,
    trace: Annotated[
        Path | None, typer.Option("--trace", metavar="DIR", help="Write one JSON trace per theorem here.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="text|json|vscode", help="Output format.")] = "text",
) -> None:
    """Prove every theorem of FILE that has a `sorry` (or the --theorem ones); only certified proofs count.

    Exit 0 when all are proved, 1 when some are not, 2 on bad input, 3 when Lean or a required endpoint is
    unavailable. Every output path is checked before the search starts; nothing is written before it ends
    (Ctrl-C leaves FILE as it was). Without --out or --in-place nothing is written. The table is short
    (name, status, reason); -v adds costs and full reasons, --trace and --format json have everything.

    Repair: proofs Lean rejects are repaired from Lean's own messages (normalise, real names for unknown
    identifiers, automation tactics swapped with Z3's hints first, failing steps cut to sorry with the rest
    kept, holes proved as subgoals, then the repair model). Settings (section repair of prover.toml):
    enabled, max_attempts, rounds, max_depth, model (prover|reasoner), subgoals, tool_alternatives. Lean's failures are counted by
    kind (unknown identifier, type mismatch, unsolved goals, timeout, syntax, linarith failed, other) in -v,
    --format json and the trace.

    Decomposition (with a reasoner model): informal draft, then Lean sketches with `have … := by sorry` steps;
    each hole's goal, as Lean printed it, becomes a lemma proved by the whole search (recursively), after Z3
    found no counterexample and the theorem closed from the sorried lemmas. Proved lemmas are written before
    their theorem. Settings (section decompose): enabled, max_depth, sketches, sketch_corrections,
    refinements, use_dataset_informal_proof, long_proof_lines, premises_k, judge.

    Examples:

      prover prove algebra.lean --out algebra.proved.lean
      prover prove algebra.lean --in-place --trace traces
      prover -v prove algebra.lean -t mathd_algebra_478 --no-llm
    """
    from rich.live import Live

    from prover.search.prove_path import plan_prove, prove_path
    from prover.search.report_view import LiveProgress, as_json, as_vscode, detail_lines, summary_table

    if fmt not in ("text", "json", "vscode"):
        fail(_usage_error(f"--format must be text, json or vscode, not {fmt!r}"), ctx)
    settings = load(
        ctx,
        {
            "search.max_llm_calls": budget_calls,
            "search.wall_minutes": budget_minutes,
            "llm.cache": False if no_cache else None,
        },
    )
    options = _options(ctx)
    if at is not None:
        from prover.lean.cursor import theorem_at_path

        try:
            theorem = [*(theorem or ()), theorem_at_path(file, at)]
        except ProverError as error:
            fail(error, ctx)
    try:  # every input and output is checked here, before any search starts
        plan = plan_prove(file, names=theorem or (), out=out, in_place=in_place, trace_dir=trace)
    except ProverError as error:
        fail(error, ctx)
    progress = LiveProgress(total=len(plan.theorems))
    show_live = fmt == "text" and not options.quiet
    console = _console(stderr=True)
    try:
        first = progress.render(console.width)
        with Live(first, console=console, transient=True, auto_refresh=False) as live:

            def on_event(event: Any) -> None:
                progress.update(event)
                if show_live:
                    live.update(progress.render(console.width), refresh=True)

            run = prove_path(settings, file, use_llm=not no_llm, on_event=on_event, plan=plan)
    except ProverError as error:
        fail(error, ctx)
    except KeyboardInterrupt:
        _console(stderr=True).print(f"interrupted: {file} left unchanged, nothing written", markup=False)
        raise typer.Exit(130) from None
    match fmt:
        case "json":
            typer.echo(as_json(run))
        case "vscode":
            typer.echo(as_vscode(run))
        case _ if not options.quiet:
            out_console = _console()
            out_console.print(summary_table(run), soft_wrap=False)
            if options.verbose:
                for line in detail_lines(run):
                    out_console.print(line, markup=False)
            if run.written is not None:
                backup = f" (backup {run.backup})" if run.backup else ""
                out_console.print(f"wrote {run.written}{backup}", markup=False)
            elif run.rescued is None:
                out_console.print("nothing written (give --out FILE or --in-place)", markup=False)
            for path in run.traces:
                out_console.print(f"trace {path}", markup=False)
    if run.rescued is not None:
        _console(stderr=True).print(
            f"error: {run.write_error}; the results were saved in {run.rescued}", markup=False
        )
        raise typer.Exit(2)
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
    """Render a saved search tree: statuses, strategies and costs; export it as DOT or HTML.

    A failed attempt shows what it tried and the first line of Lean's error; identical failures are
    shown once with a count (×N).

    Examples:

      prover show traces/mathd_algebra_478.trace.json
      prover show traces/mathd_algebra_478.trace.json --html tree.html --dot tree.dot
    """
    from prover.search.output import check_output_file, write_atomic
    from prover.search.trace import load_trace
    from prover.search.trace_view import rich_tree, to_dot, to_html

    try:
        for path, flag in ((dot, "--dot"), (html, "--html")):
            if path is not None:
                check_output_file(path, flag)
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
    fmt: Annotated[
        str, typer.Option("--format", metavar="table|json|vscode", help="Output format.")
    ] = "table",
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Z3 seconds per query.", show_default="smt.timeout_s = 2"),
    ] = None,
) -> None:
    """Decide every theorem with Z3 and exact evaluation: valid, refuted (with a counterexample), vacuous
    (inconsistent hypotheses), unknown or unsupported. Catches misformalized statements before proving them.

    Z3 runs under time limits (--timeout, smt.timeout_s), so on a loaded machine an `unknown` may become
    `valid` in another run: rows that hit a time limit are marked `*` and listed under the table.
    Exit 0 when the audit ran, 2 on bad input (missing, unreadable, or no theorems found).

    Examples:

      prover audit algebra.lean
      prover audit minif2f.jsonl --timeout 5 --format json
    """
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from prover.audit_view import audit_summary, audit_table
    from prover.smt.audit import audit_path

    if fmt not in ("table", "json", "vscode"):
        fail(_usage_error(f"--format must be table, json or vscode, not {fmt!r}"), ctx)
    settings = load(ctx, {"smt.timeout_s": timeout})
    options = _options(ctx)
    columns = (TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    quiet_smt = _SmtWarningsOff() if not options.verbose else None  # warnings stay in --log-file
    try:
        err = _console(stderr=True)
        hidden = options.quiet or not err.is_terminal
        with Progress(*columns, console=err, transient=True, disable=hidden) as bar:
            task = bar.add_task("audit", total=None)

            def on_row(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if quiet_smt is not None:
                quiet_smt.install()
            rows = audit_path(source, settings.smt, progress=on_row)
    except ProverError as error:
        fail(error, ctx)
    finally:
        if quiet_smt is not None:
            quiet_smt.remove()
    if fmt == "json":
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2, ensure_ascii=False))
        return
    if fmt == "vscode":
        from prover.vscode.audit_lines import audit_vscode

        typer.echo(audit_vscode(source, rows))
        return
    console = _console()
    console.print(audit_table(f"audit of {source}", rows), soft_wrap=False)
    for line in audit_summary(rows, settings.smt.timeout_s):
        console.print(line, markup=False)


class _SmtWarningsOff(logging.Filter):
    """Keeps the Z3 engine's warnings (a worker past its deadline) off the terminal during an audit: the
    rows that hit a time limit say it already. A log file still gets them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("prover.smt") and record.levelno < logging.ERROR)

    def install(self) -> None:
        for handler in logging.getLogger().handlers:
            if not isinstance(handler, logging.FileHandler):
                handler.addFilter(self)

    def remove(self) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self)


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

    Examples:

      prover guard proved.lean --original problems.lean
      prover guard sketch.lean --original minif2f.jsonl --allow sorry
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


# ------------------------------------------------------------------------------------------ eval
@app.command("eval")
def eval_command(
    ctx: typer.Context,
    dataset: Annotated[
        str, typer.Argument(help="minif2f, proofnet or putnambench (DATASET or DATASET.VARIANT).")
    ],
    variant: Annotated[
        str | None, typer.Option("--variant", help="Statement variant (see `prover data list`).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the problems from this JSONL (schema detected).")
    ] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only this split (test, valid).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N problems.")] = None,
    problems: Annotated[
        str | None, typer.Option("--problems", help="Only these problems (comma-separated names).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run directory (default: eval.run_dir/DATASET.VARIANT).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Problems at a time (eval.workers).")
    ] = None,
    ray: Annotated[
        str | None, typer.Option("--ray", help="Run on Ray: 'auto' (local cluster) or ADDRESS (eval.ray).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip the problems already finished.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Resume even with different settings.")] = False,
    budget_calls: Annotated[
        int | None, typer.Option("--budget-calls", help="LLM calls per problem (search.max_llm_calls).")
    ] = None,
    budget_minutes: Annotated[
        float | None, typer.Option("--budget-minutes", help="Wall time per problem (search.wall_minutes).")
    ] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Symbolic cascade and step search only.")] = False,
    run_audit: Annotated[
        bool, typer.Option("--audit", help="Audit the statements with Z3 first; flagged ones reported apart.")
    ] = False,
    proofs: Annotated[
        Path | None,
        typer.Option("--proofs", help="Certify these published proofs (JSONL with name, proof); no search."),
    ] = None,
    lean: Annotated[
        bool, typer.Option("--lean", help="With --proofs: also check each proof with Lean (fresh + axioms).")
    ] = False,
    allow: Annotated[
        list[str] | None, typer.Option("--allow", help="With --proofs: allow native_decide.")
    ] = None,
) -> None:
    """Prove a dataset's problems into a run directory (results.jsonl, summary.json, report.md, a PNG).

    Resumable (--resume), local or on Ray (--ray). With --proofs, certify published proofs instead.
    Exit 0 when the run finished, 2 on bad input, 3 when Lean, an endpoint, Ray or the dataset is missing.

    Examples:

      prover eval minif2f --split test --limit 20 --out runs/first
      prover eval minif2f --out runs/first --resume
    """
    from rich.live import Live

    from prover.eval.inputs import select_problems

    names = [n.strip() for n in problems.split(",") if n.strip()] if problems else []
    settings = load(
        ctx,
        {
            "eval.workers": workers,
            "eval.ray": ray,
            "search.max_llm_calls": budget_calls,
            "search.wall_minutes": budget_minutes,
        },
    )
    try:
        selection = select_problems(
            settings, dataset, variant=variant, file=file, split=split, names=names, limit=limit
        )
        if proofs is not None:
            _eval_proofs(ctx, settings, selection, proofs, lean=lean, allow=set(allow or ()))
            return
        if out is None:
            out = settings.eval.run_dir / selection.dataset.replace(":", "-")
        from prover.eval.report_files import audit_problems, write_audit, write_report
        from prover.eval.runner import EvalOptions, run_eval
        from prover.eval.views import EvalProgress, summary_table

        if run_audit:
            write_audit(out, audit_problems(settings.smt, selection.problems))
        options = EvalOptions(
            dataset=selection.dataset,
            source=str(selection.path),
            use_llm=not no_llm,
            resume=resume,
            force=force,
        )
        progress = EvalProgress()
        show_live = not _options(ctx).quiet
        with Live(
            progress.render(), console=_console(stderr=True), auto_refresh=False, transient=True
        ) as live:

            def refresh(*_: Any) -> None:
                if show_live:
                    live.update(progress.render(), refresh=True)

            def on_start(total: int, done: int) -> None:
                progress.start(total, done)
                refresh()

            def on_result(line: Any) -> None:
                progress.update(line)
                refresh()

            run_eval(settings, options, selection.problems, out, on_result=on_result, on_start=on_start)
        summary = write_report(out)
    except ProverError as error:
        fail(error, ctx)
    _console().print(summary_table(summary))
    _console().print(f"wrote {out / 'report.md'}", markup=False)


def _eval_proofs(
    ctx: typer.Context, settings: Any, selection: Any, proofs: Path, *, lean: bool, allow: set[str]
) -> None:
    from prover.data.proofs import load_published_proofs
    from prover.eval.published import certify_published
    from prover.eval.views import published_table

    if allow - {"native_decide"}:
        raise _usage_error("--allow takes native_decide")
    backend = None
    if lean:
        from prover.lean.factory import open_backend

        backend = open_backend(settings.lean)
    report = certify_published(
        load_published_proofs(proofs),
        selection.problems,
        source=str(proofs),
        statements=selection.dataset,
        allow_native_decide="native_decide" in allow or settings.lean.allow_native_decide,
        backend=backend,
        timeout_s=settings.lean.timeout_s,
    )
    _console().print(published_table(report))
    reasons = ", ".join(f"{kind}: {count}" for kind, count in report.reason_counts().items())
    checked = "" if report.lean_checked else " (static checks only: Lean checked nothing)"
    _console().print(
        f"{report.certified} certified{checked}, {report.rejected} rejected"
        + (f" ({reasons})" if reasons else ""),
        markup=False,
    )


@app.command()
def report(
    ctx: typer.Context,
    run: Annotated[Path, typer.Argument(help="A run directory written by `prover eval --out`.")],
    other: Annotated[
        Path | None, typer.Argument(help="A second run: compare the two problem by problem.")
    ] = None,
    audit_file: Annotated[
        Path | None,
        typer.Option(
            "--audit", help="Statements audit (`prover audit DATASET --format json`) to report apart."
        ),
    ] = None,
) -> None:
    """Write summary.json, report.md and pass_rate.png of RUN (at any time, also mid-run); with a second
    run, compare them problem by problem. Exit 0, 2 when a directory is not a run.

    Examples:

      prover report runs/first
      prover report runs/first runs/second
    """
    from prover.eval.report import compare, read_audit_file
    from prover.eval.report_files import write_audit, write_report
    from prover.eval.views import comparison_table, summary_table

    try:
        if other is not None:
            _console().print(comparison_table(compare(run, other)))
            return
        if audit_file is not None:
            write_audit(run, read_audit_file(audit_file))
        summary = write_report(run)
    except ProverError as error:
        fail(error, ctx)
    _console().print(summary_table(summary))
    _console().print(f"wrote {run / 'report.md'}", markup=False)


# ------------------------------------------------------------------------------------------ data
data_app = typer.Typer(help="The datasets prover knows (datasets/sources.toml).", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("list")
def data_list(ctx: typer.Context) -> None:
    """Every dataset and variant: rows, schema, and where its file is (local copy, cache, or to download).

    Examples:

      prover data list
    """
    from rich.table import Table

    from prover.data.registry import cached_path, load_registry

    settings = load(ctx)
    try:
        sources = load_registry()
    except ProverError as error:
        fail(error, ctx)
    table = Table(title="datasets (prover eval NAME)")
    for column in ("name", "rows", "schema", "lean", "file"):
        table.add_column(column, overflow="fold")
    for source in sources:
        cached = cached_path(source, settings.cache_dir)
        if source.local is not None and source.local.is_file():
            where = "local copy"
        elif cached.is_file():
            where = "cached"
        else:
            where = "to download" if source.downloadable else "none here (--file)"
        table.add_row(source.name, str(source.rows), source.schema_name, source.lean or "?", where)
    _console().print(table)
    _console().print("`prover data show NAME` gives the path, URL and checksum.", markup=False)


@data_app.command("show")
def data_show(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="DATASET or DATASET.VARIANT.")]
) -> None:
    """One dataset: its source, checksum, license, Lean version, file, and its splits and categories.

    Examples:

      prover data show minif2f
    """
    from collections import Counter

    from prover.data.problems import load_problems
    from prover.data.registry import dataset_file, find_source, load_registry
    from prover.eval.categories import category_of

    settings = load(ctx)
    try:
        source = find_source(load_registry(), name)
        fields = {
            "name": source.name,
            "url": source.url,
            "sha256": source.sha256,
            "rows": str(source.rows),
            "schema": source.schema_name,
            "license": source.license,
            "lean": source.lean or "?",
            "notes": source.notes,
        }
        if source.is_problem_set:
            path = dataset_file(source, settings.cache_dir, timeout_s=settings.eval.download_timeout_s)
            problems = load_problems(path)
            fields["file"] = str(path)
            fields["splits"] = ", ".join(
                f"{k}: {v}" for k, v in Counter(str(p.split) for p in problems).items()
            )
            fields["categories"] = ", ".join(
                f"{k}: {v}" for k, v in Counter(category_of(p.name) for p in problems).most_common()
            )
    except ProverError as error:
        fail(error, ctx)
    for key, value in fields.items():
        if value:
            typer.echo(f"{key}: {value}")


# ---------------------------------------------------------------------------------------- vscode
vscode_app = typer.Typer(help="Editor integration.", no_args_is_help=True)
app.add_typer(vscode_app, name="vscode")


@vscode_app.command("init")
def vscode_init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The Lean project (default: here).")] = Path("."),
) -> None:
    """Add the prover tasks (prove file, prove theorem at cursor, check, audit) to DIR/.vscode/tasks.json,
    merged with the tasks already there (never overwritten; the old file is kept as tasks.json.bak).

    Examples:

      prover vscode init
      prover vscode init ../my-lean-project
    """
    from prover.vscode.tasks import init_tasks

    try:
        result = init_tasks(directory)
    except ProverError as error:
        fail(error, ctx)
    if result.added:
        verb = "created" if result.created else "added to"
        typer.echo(f"{verb} {result.path}: {', '.join(result.added)}")
    if result.kept:
        typer.echo(f"already there (left as they are): {', '.join(result.kept)}")
    if result.backup is not None:
        typer.echo(f"previous file kept as {result.backup}")


# >>> new commands go above this line (keep this marker) <<<


def _usage_error(message: str) -> ProverError:
    from prover.errors import InputError

    return InputError(message)


# ----------------------------------------------------------------------------------------- dojo
dojo_app = typer.Typer(
    help="LeanDojo: trace a repository, then interact with its theorems.", no_args_is_help=True
)
app.add_typer(dojo_app, name="dojo")


@dojo_app.command("trace")
def dojo_trace(
    ctx: typer.Context,
    repo: Annotated[str, typer.Argument(help="URL@COMMIT: a GitHub URL, git URL or local git repository.")],
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop tracing after this many seconds (default: none).")
    ] = None,
) -> None:
    """Trace REPO for LeanDojo once (clone, build, extract; hours for a large project), in a child process
    that --timeout or Ctrl-C stops. A finished trace is kept in LeanDojo's cache: running again is instant.

    Exit 0 traced, 2 bad URL@COMMIT, 3 Lean, git, GitHub or LeanDojo's cache unavailable.

    Examples:

      prover dojo trace https://github.com/yangky11/lean4-example@7b6ecb9 --timeout 3600
    """
    import asyncio

    from prover.lean.dojo import parse_repo_spec
    from prover.lean.dojo_trace import trace_repository

    try:
        spec = parse_repo_spec(repo)
        progress = _console(stderr=True)
        path = asyncio.run(
            trace_repository(
                spec, timeout_s=timeout, progress=lambda line: progress.print(line, markup=False)
            )
        )
    except ProverError as error:
        fail(error, ctx)
    typer.echo(f"{spec.spec}: traced at {path}")


@dojo_app.command("start")
def dojo_start(
    ctx: typer.Context,
    repo: Annotated[str, typer.Argument(help="URL@COMMIT of a traced repository.")],
    file: Annotated[str, typer.Argument(help="The theorem's file, relative to the repository root.")],
    theorem: Annotated[str, typer.Option("--theorem", help="The theorem's fully qualified name.")],
) -> None:
    """Open a LeanDojo session on THEOREM of a traced REPO and print its initial goals.

    Exit 0 when the session starts, 2 bad URL@COMMIT, 3 not traced yet or Lean/LeanDojo unavailable.

    Examples:

      prover dojo start https://github.com/yangky11/lean4-example@7b6ecb9 Lean4Example.lean --theorem hello_world
    """
    import asyncio

    from prover.lean.dojo import DojoBackend, DojoTheorem, parse_repo_spec

    settings = load(ctx)

    async def initial_goals() -> tuple[str, ...]:
        spec = parse_repo_spec(repo)
        backend = DojoBackend(settings.lean)
        try:
            target = DojoTheorem(repo_url=spec.url, commit=spec.commit, file_path=file, full_name=theorem)
            return (await backend.start(target)).goals
        finally:
            await backend.close()

    try:
        goals = asyncio.run(initial_goals())
    except ProverError as error:
        fail(error, ctx)
    typer.echo("\n\n".join(goals))


@dojo_app.command("prove")
def dojo_prove_command(
    ctx: typer.Context,
    repo: Annotated[str, typer.Argument(help="URL@COMMIT of a traced repository.")],
    file: Annotated[str, typer.Argument(help="The theorem's file, relative to the repository root.")],
    theorem: Annotated[str, typer.Option("--theorem", help="The theorem's fully qualified name.")],
    no_llm: Annotated[
        bool, typer.Option("--no-llm", help="Closing tactics only: no step model (llm.step).")
    ] = False,
) -> None:
    """Step search on THEOREM of a traced REPO through LeanDojo (the llm.step model's tactics and
    search.cascade_tactics, best first), then certify a found proof in command mode in the traced checkout
    (lean.repl_command runs there).

    Exit 0 proved (certified), 1 not proved, 2 bad input, 3 not traced yet or Lean unavailable.

    Examples:

      prover dojo prove https://github.com/yangky11/lean4-example@7b6ecb9 Lean4Example.lean --theorem hello_world
    """
    import asyncio

    from prover.lean.backend import LeanBackend
    from prover.lean.dojo import DojoBackend, DojoTheorem, parse_repo_spec
    from prover.lean.repl import ReplBackend
    from prover.search.dojo_prove import DojoProveResult, dojo_prove

    settings = load(ctx)

    def open_checker(checkout: Path) -> LeanBackend:
        return ReplBackend(settings.lean.model_copy(update={"project_dir": checkout}))

    async def search() -> DojoProveResult:
        from prover.llm.base import Role
        from prover.llm.budget import Accounting, Budget
        from prover.llm.factory import build_model, open_response_cache

        spec = parse_repo_spec(repo)
        model = None
        if not no_llm:
            budget = Budget(max_calls=settings.search.max_llm_calls)
            cache = open_response_cache(settings)
            model = build_model(
                Role.step, settings.llm.step, cache=cache, budget=budget, accounting=Accounting()
            )
        backend = DojoBackend(settings.lean)
        target = DojoTheorem(repo_url=spec.url, commit=spec.commit, file_path=file, full_name=theorem)
        try:
            return await dojo_prove(settings, target, dojo=backend, open_checker=open_checker, model=model)
        finally:
            await backend.close()
            if model is not None:
                await model.close()

    try:
        result = asyncio.run(search())
    except ProverError as error:
        fail(error, ctx)
    if result.status == "proved":
        typer.echo(f"{result.name}: proved ({result.reason})\n{result.proof}")
        raise typer.Exit(0)
    typer.echo(f"{result.name}: not proved ({result.reason})")
    raise typer.Exit(1)


# Process defaults set before anything imports numpy or pydantic; a variable already set is kept. Each costs
# every command start-up time for nothing prover uses (measured with bench/retrieval.py's cold search):
# - OpenBLAS starts a thread pool on import (~70 ms here); prover's BLAS work is query-sized, and the dense
#   search limits it to one thread anyway (retrieval/dense.py).
# - pydantic reads the metadata of every installed distribution looking for plugins (~40 ms); prover has
#   none (set PYDANTIC_DISABLE_PLUGINS empty to load yours).
PROCESS_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1", "PYDANTIC_DISABLE_PLUGINS": "__all__"}


def main() -> None:
    """Console-script entry point."""
    for variable, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    try:
        app()
    except KeyboardInterrupt:
        _console(stderr=True).print("[bold red]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
