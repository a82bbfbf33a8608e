from __future__ import annotations

import pytest

from prover.errors import ConfigError
from prover.llm.prompts import PROMPT_NAMES, load_prompt, parse_template, validate_all_prompts


def test_every_required_prompt_loads_with_its_fields() -> None:
    loaded = {t.name: t for t in validate_all_prompts()}
    assert set(PROMPT_NAMES) <= loaded.keys()
    assert loaded["repair"].fields == {"code", "errors", "goals", "premises"}
    assert loaded["whole_proof"].fields == {"header", "formal_statement"}


def test_whole_proof_uses_the_open_prover_format() -> None:
    template = load_prompt("whole_proof")
    text = template.render(header="import Mathlib", formal_statement="theorem t : 1 + 1 = 2 := by")
    assert text.startswith(
        "Complete the following Lean 4 code:\n\n```lean4\nimport Mathlib\ntheorem t : 1 + 1 = 2 := by\n```"
    )
    assert template.system is None


def test_render_leaves_lean_braces_and_inserted_placeholders_alone() -> None:
    template = load_prompt("repair")
    code = "theorem t : ∀ x ∈ ({1} : Set ℕ), x = 1 := by {{goals}}"
    text = template.render(code=code, errors="1:0 boom", goals="⊢ x = 1", premises="Set.mem_singleton_iff")
    assert code in text
    assert "⊢ x = 1" in text


def test_chat_and_completion_requests_carry_system_and_user_parts() -> None:
    template = load_prompt("subgoal_judge")
    chat = template.request(endpoint="chat", header="import Mathlib", goal="theorem g : (2 : ℕ) - 3 = 0")
    assert [m.role for m in chat.messages] == ["system", "user"]
    assert "(2 : ℕ) - 3 = 0" in chat.messages[1].content
    plain = template.request(endpoint="completions", header="import Mathlib", goal="theorem g : True")
    assert plain.prompt is not None and plain.prompt.startswith(chat.messages[0].content)
    assert "theorem g : True" in plain.prompt


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"goal": "x"}, "missing field(s) header"),
        ({"goal": "x", "header": "", "extra": "y"}, "unknown field(s) extra"),
    ],
)
def test_render_rejects_missing_or_unknown_fields(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_prompt("subgoal_judge").render(**values)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("---\nfields: a\n---\nhello {{a}} {{b}}", "not declared in fields: b"),
        ("---\nfields: a, c\n---\nhello {{a}}", "never used: c"),
        ("no front matter {{a}}", "front matter"),
        ("---\nfields: a\nhello {{a}}", "not closed"),
        ("---\ndescription: x\n---\nhello", "must declare 'fields'"),
        ("---\nfields:\ncolour: red\n---\nhello", "unknown front matter key"),
        ("---\nfields:\n---\n=== user ===\nu\n=== system ===\ns", "optional '=== system ==='"),
        ("---\nfields:\n---\n=== system ===\nonly system\n=== user ===\n", "user part is empty"),
    ],
)
def test_malformed_templates_fail_at_load_time(source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_template("broken", source)


def test_unknown_prompt_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no prompt template named 'nope'"):
        load_prompt("nope")


def test_validate_all_prompts_reports_a_missing_required_template() -> None:
    with pytest.raises(ConfigError, match="missing prompt template"):
        validate_all_prompts(required=("whole_proof", "not_there"))
