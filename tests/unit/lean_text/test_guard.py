import pytest

from prover.errors import LeanSourceError
from prover.lean.guard import Construct, check_statement, guard_file, scan_forbidden
from prover.types import Pos, Problem

ORIGINAL = "import Mathlib\nopen Real\n\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by\n  sorry\n"


def constructs(text: str, **flags: bool) -> list[Construct]:
    return [f.kind for f in scan_forbidden(text, **flags)]


def test_scan_matches_tokens_not_substrings() -> None:
    text = "theorem sorry_free : True := by\n  -- sorry\n  exact trivial /- admit -/\n"
    assert constructs(text) == []
    assert constructs('def s := "native_decide sorry #eval"') == []


def test_scan_reports_positions() -> None:
    (finding,) = scan_forbidden("theorem t : 2 + 2 = 4 := by\n  native_decide\n")
    assert finding.kind is Construct.native_decide
    assert (finding.pos, finding.end_pos) == (Pos(line=2, column=2), Pos(line=2, column=15))


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("theorem t : P := by sorry", Construct.sorry),
        ("theorem t : P := by admit", Construct.sorry),
        ("axiom cheat : False", Construct.axiom),
        ("#eval 1", Construct.eval),
        ("#exit", Construct.exit),
        ("run_cmd pure ()", Construct.run_command),
        ("theorem t : P := by run_tac pure ()", Construct.run_command),
        ("unsafe def f : ℕ := 1", Construct.unsafe),
        ("@[implemented_by g] def f : ℕ := 1", Construct.implemented_by),
        ('@[extern "c_f"] def f : ℕ := 1', Construct.extern),
        ("set_option debug.skipKernelTC true", Construct.debug_option),
        ('macro "cheat" : tactic => `(tactic| sorry)', Construct.meta_command),
        ('syntax "x" : term', Construct.meta_command),
        ('elab "t" : tactic => pure ()', Construct.meta_command),
        ('notation "ℝ" => ℕ', Construct.meta_command),
        ("instance : Decidable P := .isTrue sorry_free", Construct.meta_command),
        ("import Lean", Construct.import_),
        ("def f : IO Unit := pure ()", Construct.io),
        ("open Lean.Elab.Tactic in theorem t : P := by trivial", Construct.meta_api),
        ("theorem t : 2 = 2 := by decide +native", Construct.native_decide),
    ],
)
def test_each_forbidden_construct_is_found(text: str, construct: Construct) -> None:
    assert construct in constructs(text)


def test_allowances() -> None:
    text = "import Mathlib\ntheorem t : 2 = 2 := by\n  native_decide\n  sorry\n"
    assert constructs(text) == [Construct.import_, Construct.native_decide, Construct.sorry]
    allowed = constructs(text, allow_sorry=True, allow_native_decide=True)
    assert allowed == [Construct.import_]
    assert scan_forbidden(text, allowed_imports=("Mathlib",))[0].kind is Construct.native_decide


def test_aesop_phase_is_not_unsafe_code() -> None:
    assert (
        constructs("add_aesop_rules unsafe 90% [(by simp)]\ntheorem t : P := by aesop (add unsafe foo)") == []
    )


def test_identical_statement_passes_modulo_whitespace_and_comments() -> None:
    final = (
        "import Mathlib\nopen Real\n\nlemma helper : (1 : ℝ) > 0 := by norm_num\n\n"
        "theorem t (x : ℝ)\n    (h₀ : 0 < x /- positive -/) :\n    Real.sqrt x ≥ 0 := by\n  positivity\n"
    )
    assert check_statement(ORIGINAL, final, "t").ok


@pytest.mark.parametrize(
    ("final", "reason"),
    [
        ("theorem t (x : ℝ) (h₀ : 0 ≤ x) : Real.sqrt x ≥ 0 := by positivity", "binders differ"),
        ("theorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x > 0 := by positivity", "statement differ"),
        ("theorem t2 (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by positivity", "missing"),
        (
            "-- theorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by\ntheorem u : True := trivial",
            "commented out",
        ),
        ("axiom a : False\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := a.elim", "axiom"),
        (
            "def Real.sqrt (x : ℝ) : ℝ := 0\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := le_rfl",
            "redefines",
        ),
        (
            "namespace N\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by positivity\nend N",
            "namespace",
        ),
        ("example (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by positivity", "missing"),
        (
            "variable (h : False)\ninclude h\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := h.elim",
            "adds `",
        ),
        ("open Nat in\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by positivity", "open"),
    ],
)
def test_changed_statements_are_caught(final: str, reason: str) -> None:
    check = check_statement(ORIGINAL, "import Mathlib\nopen Real\n\n" + final + "\n", "t")
    assert not check.ok
    assert reason in check.reason


def test_binder_names_do_not_count_as_redefinitions() -> None:
    final = "lemma x : True := trivial\ntheorem t (x : ℝ) (h₀ : 0 < x) : Real.sqrt x ≥ 0 := by positivity\n"
    assert check_statement(ORIGINAL, final, "t").ok


def test_original_without_the_theorem_is_bad_input() -> None:
    with pytest.raises(LeanSourceError, match="no theorem named"):
        check_statement(ORIGINAL, ORIGINAL, "nope")


def test_guard_file_with_problems_and_helper_lemmas() -> None:
    problem = Problem(
        name="t", header="import Mathlib\nopen Real\n", formal_statement=ORIGINAL.split("\n\n", 1)[1]
    )
    final = (
        ORIGINAL.replace("  sorry", "  have := helper\n  positivity") + "\nlemma helper : True := by sorry\n"
    )
    report = guard_file(final, [problem])
    assert [c.ok for c in report.statements] == [True]
    assert [f.kind for f in report.findings] == [Construct.sorry]
    assert not report.ok
    assert guard_file(final, [problem], allow_sorry=True).ok
