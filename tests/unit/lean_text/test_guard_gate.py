"""The soundness gate on realistic proof files: escape constants, compiler-trusting tactics, imports, options.

Each class of cheat is a whole proof file as a model or a person would write it, guarded against the original
file it claims to prove; the controls are honest files that must pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from prover.lean.guard import (
    FORBIDDEN_CONSTANTS,
    FORBIDDEN_TACTICS,
    HARMLESS_OPTIONS,
    WEAKENING_OPTIONS,
    Construct,
    GuardReport,
    forbidden_constant,
    guard_file,
    option_is_harmless,
    scan_forbidden,
)

HEADER = "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n\nopen BigOperators Real Nat Topology Rat\n\n"
STATEMENT = (
    "/-- What is the remainder when $2^{2010}$ is divided by 10? Show that it is 4. -/\n"
    "theorem mathd_numbertheory_127 (n : ℕ) (h₀ : n = 2 ^ 2010) : n % 10 = 4 := by\n"
)
ORIGINAL = HEADER + STATEMENT + "  sorry\n"


def proof_file(body: str, *, before: str = "", header: str = HEADER, prefix: str = "") -> str:
    return header + before + prefix + STATEMENT + body


def guard(final: str, *, allow_native_decide: bool = False) -> GuardReport:
    return guard_file(final, ORIGINAL, allow_native_decide=allow_native_decide)


def kinds(report: GuardReport) -> list[Construct]:
    return [finding.kind for finding in report.findings]


# --------------------------------------------------------------------------------- the forbidden list
REQUIRED_CONSTANTS = ("sorryAx", "Lean.ofReduceBool", "Lean.trustCompiler", "Lean.Elab.admitGoal")
REQUIRED_TACTICS = ("sorry", "admit", "native_decide", "decide +native", "bv_decide")


def test_the_forbidden_list_names_each_entry_with_its_reason() -> None:
    assert set(REQUIRED_CONSTANTS) <= set(FORBIDDEN_CONSTANTS)
    assert set(REQUIRED_TACTICS) <= set(FORBIDDEN_TACTICS)
    for name, reason in [*FORBIDDEN_CONSTANTS.items(), *FORBIDDEN_TACTICS.items()]:
        assert len(reason.split()) >= 3, f"{name} needs a reason"
    assert set(HARMLESS_OPTIONS) >= {
        "maxHeartbeats",
        "maxRecDepth",
        "synthInstance.maxHeartbeats",
        "linter.*",
        "pp.*",
    }
    assert WEAKENING_OPTIONS == ("debug.*",)


@pytest.mark.parametrize("constant", sorted(FORBIDDEN_CONSTANTS))
def test_every_listed_constant_is_caught_in_a_proof(constant: str) -> None:
    report = guard(proof_file(f"  subst h₀\n  exact ({constant} _ _)\n"))
    assert Construct.escape_constant in kinds(report)
    assert FORBIDDEN_CONSTANTS[constant] in report.findings[0].message
    # allowing native_decide never allows naming the constants behind it
    assert not guard(proof_file(f"  exact @{constant} _ _\n"), allow_native_decide=True).ok


@pytest.mark.parametrize("tactic", sorted(FORBIDDEN_TACTICS))
def test_every_listed_tactic_is_caught_in_a_proof(tactic: str) -> None:
    written = "decide (config := { native := true })" if tactic == "native := true" else tactic
    report = guard(proof_file(f"  subst h₀\n  {written}\n"))
    assert kinds(report) in ([Construct.sorry], [Construct.native_decide])
    assert report.findings[0].pos.line == STATEMENT.count("\n") + HEADER.count("\n") + 2


@pytest.mark.parametrize(
    "body",
    [
        "  exact sorryAx _ false\n",
        "  exact @sorryAx _ false\n",
        "  exact «sorryAx» _ false\n",
        "  exact _root_.sorryAx _ false\n",
        "  exact (Lean.ofReduceBool (Lean.reduceBool true) true rfl).symm ▸ sorry_free\n",
        "  have := Lean.trustCompiler\n  omega\n",
    ],
)
def test_escape_constants_however_written(body: str) -> None:
    assert Construct.escape_constant in kinds(guard(proof_file(body)))


def test_escape_constants_through_open_in() -> None:
    final = proof_file(
        "  subst h₀\n  exact ofReduceBool _ _ rfl\n",
        prefix="open Lean in\n",
    )
    original_with_prefix = HEADER + "open Lean in\n" + STATEMENT + "  sorry\n"
    report = guard_file(final, original_with_prefix)
    assert [c.ok for c in report.statements] == [True]
    assert kinds(report) == [Construct.escape_constant]
    assert "Lean.ofReduceBool" in report.findings[0].message
    assert forbidden_constant("Elab.admitGoal") == "Lean.Elab.admitGoal"
    helper = "open Lean Elab Tactic in\nlemma cheat (n : ℕ) : n % 10 = 4 := by\n  run_tac admitGoal (← getMainGoal)\n\n"
    assert Construct.escape_constant in kinds(guard(proof_file("  exact cheat n\n", before=helper)))


def test_name_literals_of_escape_constants_are_caught() -> None:
    body = "  exact by_elab return Lean.mkConst ``sorryAx [Lean.levelZero]\n"
    assert Construct.escape_constant in kinds(guard(proof_file(body)))


def test_bv_decide_trusts_the_compiler_unless_allowed() -> None:
    final = proof_file("  subst h₀\n  bv_decide\n")
    assert kinds(guard(final)) == [Construct.native_decide]
    assert "trusts the compiler" in guard(final).findings[0].message
    assert guard(final, allow_native_decide=True).ok


# --------------------------------------------------------------------------------------------- imports
def test_import_after_the_header_is_a_finding() -> None:
    final = proof_file(
        "  subst h₀\n  norm_num\n", before="lemma helper : True := trivial\n\nimport Mathlib\n\n"
    )
    report = guard(final)
    assert kinds(report) == [Construct.import_]
    assert "after the header" in report.findings[0].message
    assert report.findings[0].pos.line == HEADER.count("\n") + 3


def test_an_import_the_original_does_not_have_is_a_finding() -> None:
    added = HEADER.replace("import Aesop\n", "import Aesop\nimport Mathlib.Tactic.Cheat\n")
    report = guard(proof_file("  subst h₀\n  norm_num\n", header=added))
    assert kinds(report) == [Construct.import_]
    assert "`import Mathlib.Tactic.Cheat` is not in the original" in report.findings[0].message
    # a module root alone is not enough once the original's imports are known
    report = guard_file(proof_file("  norm_num [h₀]\n", header=added), ORIGINAL, allowed_imports=("Mathlib",))
    assert kinds(report) == [Construct.import_]


def test_a_bare_statement_original_falls_back_to_module_roots() -> None:
    final = proof_file("  norm_num [h₀]\n")
    assert guard_file(final, STATEMENT + "  sorry\n").ok
    assert not guard_file(final.replace("import Aesop", "import Lean"), STATEMENT + "  sorry\n").ok


# ------------------------------------------------------------------------------------------ set_option
@pytest.mark.parametrize(
    "prefix",
    [
        "set_option maxHeartbeats 800000 in\n",
        "set_option maxRecDepth 10000 in\n",
        "set_option synthInstance.maxHeartbeats 100000 in\n",
        "set_option linter.unusedVariables false in\n",
        "set_option pp.all true in\n",
        "set_option tactic.hygienic false in\n",
    ],
)
def test_harmless_options_on_the_theorem_pass(prefix: str) -> None:
    report = guard(proof_file("  subst h₀\n  norm_num\n", prefix=prefix))
    assert report.ok, report


@pytest.mark.parametrize(
    "prefix",
    [
        "set_option autoImplicit true in\n",
        "set_option relaxedAutoImplicit true in\n",
        "set_option elab.async false in\n",
    ],
)
def test_options_that_can_change_the_statement_are_flagged(prefix: str) -> None:
    (check,) = guard(proof_file("  subst h₀\n  norm_num\n", prefix=prefix)).statements
    assert not check.ok
    assert "prefix" in check.reason


def test_global_options_before_the_theorem() -> None:
    harmless = "set_option linter.style.longLine false\nset_option maxRecDepth 5000\n\n"
    assert guard(proof_file("  norm_num [h₀]\n", before=harmless)).ok
    (check,) = guard(proof_file("  norm_num [h₀]\n", before="set_option autoImplicit true\n\n")).statements
    assert not check.ok and "autoImplicit" in check.reason
    assert check.pos is not None and check.pos.line == HEADER.count("\n") + 1
    in_header = HEADER.replace("set_option maxHeartbeats 400000", "set_option relaxedAutoImplicit true")
    (check,) = guard(proof_file("  norm_num [h₀]\n", header=in_header)).statements
    assert not check.ok and "relaxedAutoImplicit" in check.reason
    # the original's own options are not findings
    assert guard(proof_file("  norm_num [h₀]\n", before="set_option maxHeartbeats 400000\n")).ok


def test_weakening_options_are_forbidden_anywhere() -> None:
    body = "  subst h₀\n  set_option debug.skipKernelTC true in\n  norm_num\n"
    assert kinds(guard(proof_file(body))) == [Construct.debug_option]
    assert option_is_harmless("pp.proofs") and not option_is_harmless("autoImplicit")
    assert not option_is_harmless("debug.skipKernelTC")


# --------------------------------------------------------------------------------------------- controls
def test_control_helper_lemma_before_the_theorem() -> None:
    helper = (
        "lemma pow_mod_ten (k : ℕ) : 2 ^ (4 * k + 2) % 10 = 4 := by\n"
        "  induction k with\n  | zero => norm_num\n  | succ k ih => omega\n\n"
    )
    assert guard(proof_file("  subst h₀\n  exact pow_mod_ten 502\n", before=helper)).ok


def test_control_docstring_mentioning_sorry_and_native_decide() -> None:
    helper = (
        "/-- We avoid `sorry` and `native_decide`, and never use sorryAx or bv_decide: `decide` is enough. -/\n"
        "lemma sorryAx_free : (2 ^ 10) % 10 = 4 := by decide\n\n"
    )
    body = "  -- native_decide would be faster, but we stay kernel-checked\n  subst h₀\n  norm_num\n"
    assert guard(proof_file(body, before=helper)).ok


def test_control_set_option_in_on_the_theorem_and_inside_the_proof() -> None:
    body = "  subst h₀\n  set_option maxRecDepth 100000 in\n  norm_num\n"
    assert guard(proof_file(body, prefix="set_option maxHeartbeats 800000 in\n")).ok


def test_control_aesop_and_scan_without_original() -> None:
    assert (
        scan_forbidden(
            proof_file("  aesop (add unsafe 50% Nat.pow_mod)\n"), allowed_imports=("Mathlib", "Aesop")
        )
        == ()
    )


# ------------------------------------------------------------------------------------------- placement
def test_prover_lean_knows_nothing_of_datasets_or_search() -> None:
    lean_dir = Path(__file__).resolve().parents[3] / "prover" / "lean"
    for path in sorted(lean_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("prover.data", "prover.search", "prover.smt")), path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith(("prover.data", "prover.search")) for a in node.names), (
                    path.name
                )
