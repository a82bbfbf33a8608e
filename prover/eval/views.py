"""Views of eval runs: the Markdown report, the live progress line, the comparison of two runs, the
published-proof table. Builds strings and rich renderables; the CLI prints them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text

from prover.eval.published import CertificationRow, PublishedReport
from prover.eval.report import Comparison, Rate, Summary
from prover.eval.results import ResultLine


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _pct(rate: Rate) -> str:
    return f"{100 * rate.rate:.1f}% [{100 * rate.low:.1f}, {100 * rate.high:.1f}]"


def report_markdown(summary: Summary, png_name: str | None) -> str:
    """``report.md``: pass rate with its Wilson interval, categories, strategies, budget, cache, curve."""
    s = summary
    lines = [
        f"# prover eval: {s.dataset}",
        "",
        f"Source: `{s.source}`. Finished {s.finished} of {s.planned} problems.",
        "",
        f"**Pass rate: {s.overall.proved}/{s.overall.total} = {_pct(s.overall)}** (Wilson 95% interval).",
        "",
    ]
    if s.audited:
        lines += [
            f"On the {s.sound_statements.total} statements `prover audit` did not flag: "
            f"{s.sound_statements.proved}/{s.sound_statements.total} = {_pct(s.sound_statements)}.",
            "",
        ]
    else:
        lines += ["Statements were not audited (`prover eval --audit`); none is reported apart.", ""]
    lines += [
        "## By category",
        "",
        "| category | proved | total | rate [Wilson 95%] |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {c} | {r.proved} | {r.total} | {_pct(r)} |" for c, r in s.by_category.items()]
    lines += ["", "## By winning strategy", "", "| strategy | proved |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in s.by_strategy.items()] or ["| (none) | 0 |"]
    lines += ["", "## Statuses", "", "| status | problems |", "|---|---:|"]
    lines += [f"| {status} | {count} |" for status, count in sorted(s.statuses.items())]
    b = s.budget
    lines += [
        "",
        "## Budget spent",
        "",
        "| resource | total |",
        "|---|---:|",
        f"| LLM calls | {b.llm_calls} |",
        f"| tokens | {b.tokens} |",
        f"| cost (USD) | {b.cost_usd:.4f} |",
        f"| Lean checks | {b.lean_checks} |",
        f"| problem wall time (s, summed) | {b.problem_wall_s:.1f} |",
        f"| run wall time (s, all sessions) | {b.run_wall_s:.1f} |",
        "",
        "## Lean verdict cache",
        "",
        f"{s.cache.hits} hits, {s.cache.shared} identical checks shared while in flight, {s.cache.misses} "
        f"misses (hit rate {100 * s.cache.hit_rate:.1f}%); {s.cache.bypassed} certification checks ran fresh "
        "(never cached).",
        "",
        "## Lean's failure kinds (rejected attempts)",
        "",
        "| kind | count |",
        "|---|---:|",
    ]
    lines += [f"| {kind} | {count} |" for kind, count in s.failure_kinds.items()] or ["| (none) | 0 |"]
    if s.flagged:
        lines += [
            "",
            "## Statements flagged by `prover audit` (not failures of the prover)",
            "",
            "| problem | audit | evidence | proved |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {f.name} | {f.status.value} | {_cell(f.evidence)} | "
            f"{'yes (audit and Lean disagree: look)' if f.proved else 'no'} |"
            for f in s.flagged
        ]
    if png_name is not None:
        lines += ["", "## Pass rate versus budget", "", f"![pass rate versus budget]({png_name})"]
    return "\n".join(lines) + "\n"


@dataclass
class EvalProgress:
    """Folds finished problems into one status line: done/total, proved, rate, ETA, tokens, cost."""

    total: int = 0
    done: int = 0
    proved: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    skipped: int = 0
    last: str = ""
    started: float = field(default_factory=time.monotonic)

    def start(self, total: int, already_done: int) -> None:
        self.total, self.skipped, self.done = total, already_done, already_done
        self.started = time.monotonic()

    def update(self, line: ResultLine) -> None:
        self.done += 1
        self.proved += line.proved
        self.tokens += line.tokens
        self.cost_usd += line.cost_usd
        self.last = f"{line.name}: {line.status.value}"

    def render(self) -> Text:
        ran = self.done - self.skipped
        elapsed = time.monotonic() - self.started
        per_minute = 60.0 * ran / elapsed if elapsed > 0 and ran else 0.0
        remaining = self.total - self.done
        eta = f"{remaining / per_minute:.1f} min" if per_minute else "?"
        rate = f"{100 * self.proved / ran:.1f}%" if ran else "-"
        return Text(
            f"{self.done}/{self.total} done, {self.proved} proved ({rate}) | {per_minute:.1f}/min, ETA {eta} | "
            f"tokens {self.tokens}, cost ${self.cost_usd:.4f}" + (f" | {self.last}" if self.last else "")
        )


def summary_table(summary: Summary) -> Table:
    table = Table(title=f"{summary.dataset}: {summary.finished}/{summary.planned} finished")
    for column in ("category", "proved", "total", "rate [Wilson 95%]"):
        table.add_column(column)
    for category, rate in summary.by_category.items():
        table.add_row(category, str(rate.proved), str(rate.total), _pct(rate))
    table.add_row(
        "[bold]all[/]", str(summary.overall.proved), str(summary.overall.total), _pct(summary.overall)
    )
    return table


def comparison_table(comparison: Comparison) -> Table:
    c = comparison
    table = Table(title=f"A = {c.a}  vs  B = {c.b} (problems both finished)")
    table.add_column("")
    table.add_column("problems", overflow="fold")
    table.add_row("A", f"{c.rate_a.proved}/{c.rate_a.total} = {_pct(c.rate_a)}")
    table.add_row("B", f"{c.rate_b.proved}/{c.rate_b.total} = {_pct(c.rate_b)}")
    table.add_row("both proved", str(c.both))
    table.add_row("neither", str(c.neither))
    table.add_row(f"only A ({len(c.only_a)})", ", ".join(c.only_a) or "-")
    table.add_row(f"only B ({len(c.only_b)})", ", ".join(c.only_b) or "-")
    if c.missing:
        table.add_row(f"finished in one run only ({len(c.missing)})", ", ".join(p.name for p in c.missing))
    return table


def published_table(report: PublishedReport) -> Table:
    checked = "Lean checked each proof" if report.lean_checked else "static checks only: Lean checked nothing"
    table = Table(
        title=f"{report.source}: {report.certified} certified, {report.rejected} rejected ({checked})"
    )
    for column in ("proof", "verdict", "why"):
        table.add_column(column, overflow="fold")
    for row in report.rows:
        table.add_row(row.name, _verdict_text(row), "; ".join(row.reasons))
    return table


def _verdict_text(row: CertificationRow) -> str:
    return "[green]certified[/]" if row.certified else "[red]rejected[/]"
