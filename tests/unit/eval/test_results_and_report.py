"""The run directory: durable appends, torn lines, resume rules; the report's numbers and the comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.errors import InputError
from prover.eval.categories import category_of
from prover.eval.report import compare, pass_curve, wilson_interval
from prover.eval.report_files import write_audit, write_report
from prover.eval.results import (
    ResultLine,
    ResultsLog,
    RunManifest,
    SessionLine,
    append_session,
    read_results,
    write_manifest,
)
from prover.eval.runner import prepare_run_dir
from prover.smt.audit import AuditRow
from prover.types import ProofStatus, SmtStatus


def line(name: str, proved: bool, **fields: object) -> ResultLine:
    status = ProofStatus.proved if proved else ProofStatus.not_proved
    return ResultLine(name=name, category=category_of(name), status=status, **fields)  # type: ignore[arg-type]


def manifest(names: list[str], **settings: object) -> RunManifest:
    return RunManifest(
        dataset="minif2f.test", source="x.jsonl", problems=tuple(names), use_llm=True, settings=dict(settings)
    )


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(8, 20)
    assert (round(low, 4), round(high, 4)) == (0.2188, 0.6134)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_categories_follow_the_minif2f_names() -> None:
    names = ["mathd_algebra_478", "mathd_numbertheory_3", "amc12a_2019_p21", "aime_1984_p5", "imo_1959_p1",
             "induction_12dvd4expnp1p20", "algebra_sqineq_at2malt1"]  # fmt: skip
    assert [category_of(n) for n in names] == [
        "mathd algebra", "mathd number theory", "amc", "aime", "imo", "induction", "other"
    ]  # fmt: skip


def test_a_torn_last_line_is_ignored_then_replaced(tmp_path: Path) -> None:
    log = ResultsLog(tmp_path)
    log.append(line("a", True))
    with log.path.open("ab") as handle:
        handle.write(b'{"name": "b", "categ')  # killed in the middle of a write
    assert [r.name for r in read_results(log.path)] == ["a"]
    log.append(line("c", False))
    assert [r.name for r in read_results(log.path)] == ["a", "c"]
    assert log.path.read_text().count("\n") == 2


def test_a_corrupt_complete_line_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text(line("a", True).model_dump_json() + "\n{}\n")
    with pytest.raises(InputError, match=r"results.jsonl:2"):
        read_results(tmp_path / "results.jsonl")


def test_resume_rules(tmp_path: Path) -> None:
    run = manifest(["a", "b"], search={"max_llm_calls": 10})
    assert prepare_run_dir(tmp_path, run, resume=False, force=False) == set()
    ResultsLog(tmp_path).append(line("a", True))
    with pytest.raises(InputError, match="--resume"):
        prepare_run_dir(tmp_path, run, resume=False, force=False)
    assert prepare_run_dir(tmp_path, run, resume=True, force=False) == {"a"}
    other = manifest(["a", "b"], search={"max_llm_calls": 20})
    with pytest.raises(InputError, match=r"search\.max_llm_calls.*--force"):
        prepare_run_dir(tmp_path, other, resume=True, force=False)
    assert prepare_run_dir(tmp_path, other, resume=True, force=True) == {"a"}


def test_pass_curve_counts_proofs_within_each_budget() -> None:
    lines = [
        line("a", True, llm_calls=0),
        line("b", True, llm_calls=3),
        line("c", True, llm_calls=3),
        line("d", False, llm_calls=9),
    ]
    curve = pass_curve(lines, "llm_calls", 4)
    assert [(p.budget, p.rate) for p in curve] == [(0.0, 0.25), (3.0, 0.75)]


def test_summary_report_and_flagged_statements(tmp_path: Path) -> None:
    names = ["mathd_algebra_1", "mathd_algebra_2", "amc12_3", "imo_4"]
    write_manifest(tmp_path, manifest(names))
    log = ResultsLog(tmp_path)
    log.append(line("mathd_algebra_1", True, strategy="symbolic", llm_calls=0, tokens=0, lean_checks=3))
    log.append(
        line("mathd_algebra_2", True, strategy="direct", llm_calls=2, tokens=100, cost_usd=0.5, lean_checks=4)
    )
    log.append(line("amc12_3", False, llm_calls=4, failure_kinds={"linarith_failed": 2, "syntax": 1}))
    append_session(
        tmp_path,
        SessionLine(
            started="t", backend="local", workers=1, problems_run=3, cache_hits=3, cache_misses=1, wall_s=2.0
        ),
    )
    write_audit(
        tmp_path, [AuditRow(name="amc12_3", status=SmtStatus.refuted, evidence="counterexample: x = 1")]
    )
    summary = write_report(tmp_path)
    assert (summary.planned, summary.finished, summary.overall.proved) == (4, 3, 2)
    assert summary.sound_statements.total == 2 and summary.sound_statements.proved == 2
    assert summary.by_category["mathd algebra"].proved == 2 and summary.by_category["amc"].total == 1
    assert "imo" not in summary.by_category  # not finished yet
    assert summary.by_strategy == {"symbolic": 1, "direct": 1}
    assert (summary.budget.llm_calls, summary.budget.tokens, summary.budget.lean_checks) == (6, 100, 7)
    assert summary.cache.hit_rate == 0.75
    assert summary.failure_kinds == {"linarith_failed": 2, "syntax": 1}
    assert [f.name for f in summary.flagged] == ["amc12_3"]
    report = (tmp_path / "report.md").read_text()
    assert "**Pass rate: 2/3 = 66.7% [20.8, 93.9]**" in report
    assert "| amc12_3 | refuted | counterexample: x = 1 | no |" in report
    assert json.loads((tmp_path / "summary.json").read_text())["overall"]["proved"] == 2
    assert (tmp_path / "pass_rate.png").stat().st_size > 1000


def test_compare_two_runs_problem_by_problem(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for run, proved in ((a, {"p1", "p2"}), (b, {"p2", "p3"})):
        write_manifest(run, manifest(["p1", "p2", "p3", "p4"]))
        for name in ("p1", "p2", "p3"):
            ResultsLog(run).append(line(name, name in proved))
    ResultsLog(a).append(line("p4", False))
    comparison = compare(a, b)
    assert (comparison.both, comparison.only_a, comparison.only_b, comparison.neither) == (
        1,
        ("p1",),
        ("p3",),
        0,
    )
    assert [p.name for p in comparison.missing] == ["p4"] and comparison.missing[0].b is None
    with pytest.raises(InputError, match=r"no run\.json"):
        compare(a, tmp_path)
