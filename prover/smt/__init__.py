"""The Z3 engine: decide, refute and audit arithmetic goals with Lean's exact semantics.

Flow: ``parse`` (text → surface syntax) → ``elaborate`` (Lean's typing → typed ``core``) → ``worker`` (Z3 in a
separate process, via ``translate``) → ``evaluate`` (exact confirmation of every counterexample) and
``instances`` (small-instance search) → ``engine.SmtEngine`` (the entry) → ``hints``, ``audit``.
"""
