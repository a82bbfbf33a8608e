from __future__ import annotations

import inspect

import prover.errors as errors


def test_exit_codes_follow_the_documented_tree() -> None:
    assert errors.InputError("x").exit_code == 2
    assert errors.LeanSourceError("x", path="a.lean", line=3).exit_code == 2
    assert errors.ConfigError("x").exit_code == 2
    assert errors.LeanUnavailable("x").exit_code == 3
    assert errors.EndpointUnavailable("x").exit_code == 3
    assert errors.ModelError("x").exit_code == 1
    assert errors.CorpusError("x").exit_code == 2


def test_every_error_class_is_drawn_in_the_docstring() -> None:
    doc = errors.__doc__ or ""
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.ProverError)]
    assert len(classes) > 10
    for cls in classes:
        assert cls.__name__ in doc, cls.__name__


def test_message_names_file_and_line() -> None:
    error = errors.LeanSourceError("not UTF-8", path="proofs/a.lean", line=7)
    assert str(error) == "proofs/a.lean:7: not UTF-8"
