from __future__ import annotations

from pathlib import Path

import pytest

from prover.errors import ConfigError
from prover.settings import effective_rows, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("PROVER_"):
            monkeypatch.delenv(key)


def test_layers_override_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "prover.toml"
    config.write_text('[lean]\nworkers = 3\ntimeout_s = 12.5\n[llm.prover]\nmodel = "from-file"\n')
    monkeypatch.setenv("PROVER_LEAN__TIMEOUT_S", "7")
    loaded = load_settings(config, {"llm.prover.model": "from-cli"})
    assert loaded.settings.lean.workers == 3
    assert loaded.settings.lean.timeout_s == 7.0
    assert loaded.settings.llm.prover.model == "from-cli"
    assert loaded.sources["lean.workers"] == str(config)
    assert loaded.sources["lean.timeout_s"] == "env"
    assert loaded.sources["llm.prover.model"] == "cli"
    assert loaded.sources["smt.timeout_s"] == "default"


def test_prover_toml_in_cwd_is_found(tmp_path: Path) -> None:
    (tmp_path / "prover.toml").write_text("[smt]\ntimeout_s = 0.5\n")
    loaded = load_settings(cwd=tmp_path)
    assert loaded.settings.smt.timeout_s == 0.5


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    config = tmp_path / "prover.toml"
    config.write_text("[lean]\nwrokers = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert "lean.wrokers" in str(info.value)
    assert str(config) in str(info.value)
    assert info.value.exit_code == 2


def test_invalid_value_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROVER_LEAN__WORKERS", "0")
    with pytest.raises(ConfigError, match=r"lean\.workers"):
        load_settings(cwd=tmp_path)


def test_bad_toml_is_config_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[lean\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_secret_values_are_masked(tmp_path: Path) -> None:
    config = tmp_path / "prover.toml"
    config.write_text('[llm.prover]\napi_key_env = "MY_KEY"\nextra_body = { api_key = "sk-123" }\n')
    rows = {key: value for key, value, _ in effective_rows(load_settings(config))}
    assert rows["llm.prover.api_key_env"] == '"MY_KEY"'  # the variable's name is not a secret (TOML text)
    assert "sk-123" not in " ".join(rows.values())


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path).settings
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        settings.lean.workers = 9  # type: ignore[misc]


def test_environment_variables_nest_case_insensitively_and_decode_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("prover_lean__workers", "5")
    monkeypatch.setenv("PROVER_LEAN__REPL_COMMAND", '["lake", "env", "repl"]')
    monkeypatch.setenv("PROVER_LLM__REASONER", '{"model": "r", "n": 3}')
    monkeypatch.setenv("PROVER_LLM__REASONER__N", "2")  # a nested variable wins over the section's JSON
    monkeypatch.setenv("PROVER_LLM__PROVER__EXTRA_BODY", '{"top_k": 20}')
    monkeypatch.setenv("PROVER_TEST_SOMETHING_ELSE", "1")  # no such setting: not ours, ignored
    loaded = load_settings(cwd=tmp_path)
    settings = loaded.settings
    assert settings.lean.workers == 5
    assert settings.lean.repl_command == ["lake", "env", "repl"]
    assert (settings.llm.reasoner.model, settings.llm.reasoner.n) == ("r", 2)
    assert settings.llm.prover.extra_body == {"top_k": 20}
    assert loaded.sources["lean.workers"] == "env"
    assert loaded.sources["llm.reasoner.model"] == "env"


def test_bad_json_in_an_environment_variable_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROVER_SEARCH__CASCADE_TACTICS", "simp, ring")
    with pytest.raises(ConfigError, match=r"PROVER_SEARCH__CASCADE_TACTICS=simp, ring: not valid JSON"):
        load_settings(cwd=tmp_path)
    monkeypatch.delenv("PROVER_SEARCH__CASCADE_TACTICS")
    monkeypatch.setenv("PROVER_LEAN__REPL_COMMAND", "lake env repl")  # optional list: validation says why
    with pytest.raises(ConfigError, match=r"PROVER_LEAN__REPL_COMMAND=lake env repl"):
        load_settings(cwd=tmp_path)


def test_unknown_nested_environment_key_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROVER_LEAN__WROKERS", "3")
    with pytest.raises(
        ConfigError, match=r"PROVER_LEAN__WROKERS=3: unknown key \(did you mean `workers`\?\)"
    ):
        load_settings(cwd=tmp_path)
