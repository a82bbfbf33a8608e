/-
Dump every usable theorem of the project's environment (`import Mathlib`) as one JSON line per theorem:

  {"name": …, "signature": …, "module": …, "doc": …, "private": …, "deprecated": …, "simp": …}

Run inside the Lake project so `LEAN_PATH` points at the built Mathlib:

  lake env lean --run ../scripts/dump_premises.lean > premises.jsonl     (prover index build does this)

Skipped: internal and auxiliary names (`_private`, `match_`, `proof_`, recursors, `noConfusion`), and
non-theorems. Private names are printed with `"private": true` (the Python side filters them).
Written against Lean v4.15 APIs; not run on the machine it was written on (no Lean there).
-/
import Mathlib

open Lean Meta

/-- Auxiliary declarations that no proof should cite by name. -/
def isAuxiliary (env : Environment) (name : Name) : Bool :=
  name.isInternal || isAuxRecursor env name || isNoConfusion env name || isRecCore env name
    || isMatcherCore env name

def moduleOf (env : Environment) (name : Name) : String :=
  match env.getModuleIdxFor? name with
  | some idx => (env.allImportedModuleNames[idx.toNat]?.getD .anonymous).toString
  | none => ""

def premiseJson (simpSet : SimpTheorems) (name : Name) (type : Expr) : MetaM (Option Json) := do
  let env ← getEnv
  let signature ← try
      pure (toString (← ppExpr type))
    catch _ => pure (toString type)
  let doc ← findDocString? env name
  let simp := simpSet.isLemma (.decl name)
  return some <| Json.mkObj [
    ("name", Json.str (privateToUserName? name |>.getD name).toString),
    ("signature", Json.str signature),
    ("module", Json.str (moduleOf env name)),
    ("doc", Json.str (doc.getD "")),
    ("private", Json.bool (isPrivateName name)),
    ("deprecated", Json.bool (Linter.isDeprecated env name)),
    ("simp", Json.bool simp)
  ]

def dumpAll : MetaM Unit := do
  let env ← getEnv
  let stdout ← IO.getStdout
  let simpSet ← getSimpTheorems
  let mut count := 0
  for (name, info) in env.constants.toList do
    let .thmInfo val := info | continue
    if isAuxiliary env name then continue
    if let some json ← premiseJson simpSet name val.type then
      stdout.putStrLn json.compress
      count := count + 1
  IO.eprintln s!"dump_premises: {count} theorems"

def main : IO Unit := do
  initSearchPath (← findSysroot)
  let env ← importModules #[{ module := `Mathlib }] {} (trustLevel := 1024)
  let ctx : Core.Context := { fileName := "<dump_premises>", fileMap := default, maxHeartbeats := 0 }
  let _ ← (dumpAll.run' {} {}).toIO ctx { env := env }
