"""Prompt templates, one ``.md`` file each in this folder, loaded with ``importlib.resources``.

File format (documented here once)::

    ---
    description: one line saying what the prompt is for
    fields: formal_statement, header
    ---
    === system ===
    Optional system text.
    === user ===
    The user text, with {{formal_statement}} placeholders.

The front matter is ``key: value`` lines between ``---`` lines; ``fields`` lists every placeholder, comma
separated. The body has an optional ``=== system ===`` part and a required ``=== user ===`` part (a body
without markers is all user text). Placeholders are ``{{name}}`` (double braces, so Lean's ``{ }`` need no
escaping). Loading checks that the declared fields and the placeholders are the same set; rendering checks
that exactly the declared fields are given. Both raise ``ConfigError`` naming the template file.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from prover.errors import ConfigError
from prover.llm.base import ChatMessage, LLMRequest
from prover.types import Frozen

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SYSTEM_MARK = "=== system ==="
_USER_MARK = "=== user ==="

PROMPT_NAMES = (
    "informal_draft",
    "lean_sketch",
    "sketch_correction",
    "sketch_refinement",
    "subgoal_judge",
    "premise_queries",
    "whole_proof",
    "repair",
    "next_tactic",
)
"""Prompts the rest of prover relies on; ``validate_all_prompts`` fails start-up when one is missing."""


class PromptTemplate(Frozen):
    name: str
    description: str = ""
    fields: frozenset[str]
    system: str | None = None
    user: str

    def render(self, **values: str) -> str:
        """The user part with every field filled in."""
        self._check_fields(values)
        return _fill(self.user, values)

    def render_system(self, **values: str) -> str | None:
        self._check_fields(values)
        return None if self.system is None else _fill(self.system, values)

    def messages(self, **values: str) -> tuple[ChatMessage, ...]:
        """System (when present) and user messages for a chat endpoint."""
        system = self.render_system(**values)
        user = ChatMessage(role="user", content=self.render(**values))
        return (user,) if system is None else (ChatMessage(role="system", content=system), user)

    def request(self, *, endpoint: str = "chat", **values: str) -> LLMRequest:
        """An ``LLMRequest`` for a chat endpoint, or for a plain completion endpoint (system text first)."""
        match endpoint:
            case "chat":
                return LLMRequest(messages=self.messages(**values))
            case "completions":
                system = self.render_system(**values)
                user = self.render(**values)
                return LLMRequest(prompt=user if system is None else f"{system}\n\n{user}")
            case _:
                raise ConfigError(
                    f"unknown endpoint {endpoint!r}: expected chat or completions", where=self.name
                )

    def _check_fields(self, values: dict[str, str]) -> None:
        missing = sorted(self.fields - values.keys())
        unknown = sorted(values.keys() - self.fields)
        if missing or unknown:
            detail = "; ".join(
                part
                for part in (
                    f"missing field(s) {', '.join(missing)}" if missing else "",
                    f"unknown field(s) {', '.join(unknown)}" if unknown else "",
                )
                if part
            )
            raise ConfigError(f"prompt {self.name!r}: {detail}", where=f"prompts/{self.name}.md")


def _fill(text: str, values: dict[str, str]) -> str:
    # One pass: a value that itself contains {{x}} is inserted verbatim, never expanded again.
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def parse_template(name: str, source: str) -> PromptTemplate:
    """Parse one template file's text; raise ``ConfigError`` when it breaks the format above."""
    where = f"prompts/{name}.md"
    lines = source.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ConfigError("template must start with a '---' front matter line", where=where)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ConfigError("front matter is not closed by a '---' line", where=where) from None
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ConfigError(f"front matter line {number} is not 'key: value'", where=where)
        meta[key.strip()] = value.strip()
    unknown_keys = meta.keys() - {"description", "fields"}
    if unknown_keys:
        raise ConfigError(f"unknown front matter key(s): {', '.join(sorted(unknown_keys))}", where=where)
    if "fields" not in meta:
        raise ConfigError("front matter must declare 'fields' (may be empty)", where=where)
    fields = frozenset(f.strip() for f in meta["fields"].split(",") if f.strip())

    body = "\n".join(lines[end + 1 :])
    system, user = _split_parts(body, where)
    used = set(_PLACEHOLDER.findall(user)) | set(_PLACEHOLDER.findall(system or ""))
    if used != fields:
        problems = []
        if used - fields:
            problems.append(f"placeholder(s) not declared in fields: {', '.join(sorted(used - fields))}")
        if fields - used:
            problems.append(f"declared field(s) never used: {', '.join(sorted(fields - used))}")
        raise ConfigError("; ".join(problems), where=where)
    return PromptTemplate(
        name=name, description=meta.get("description", ""), fields=fields, system=system, user=user
    )


def _split_parts(body: str, where: str) -> tuple[str | None, str]:
    lines = body.splitlines()
    marks = [(i, line.strip()) for i, line in enumerate(lines) if line.strip() in (_SYSTEM_MARK, _USER_MARK)]
    if not marks:
        return None, body.strip("\n")
    if [mark for _, mark in marks] not in ([_USER_MARK], [_SYSTEM_MARK, _USER_MARK]):
        raise ConfigError(f"expected an optional '{_SYSTEM_MARK}' then one '{_USER_MARK}' part", where=where)
    if any(line.strip() for line in lines[: marks[0][0]]):
        raise ConfigError("text before the first part marker", where=where)
    user_at = marks[-1][0]
    user = "\n".join(lines[user_at + 1 :]).strip("\n")
    system = "\n".join(lines[marks[0][0] + 1 : user_at]).strip("\n") if len(marks) == 2 else None
    if not user.strip():
        raise ConfigError("the user part is empty", where=where)
    return system, user


@cache
def load_prompt(name: str) -> PromptTemplate:
    """The template ``prompts/<name>.md``, parsed and checked. Raises ``ConfigError`` when absent or malformed."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ConfigError(f"invalid prompt name {name!r}")
    resource = resources.files(__package__).joinpath(f"{name}.md")
    if not resource.is_file():
        raise ConfigError(f"no prompt template named {name!r}", where=f"prompts/{name}.md")
    return parse_template(name, resource.read_text(encoding="utf-8"))


def available_prompts() -> tuple[str, ...]:
    return tuple(
        sorted(
            entry.name.removesuffix(".md")
            for entry in resources.files(__package__).iterdir()
            if entry.name.endswith(".md")
        )
    )


def validate_all_prompts(required: tuple[str, ...] = PROMPT_NAMES) -> tuple[PromptTemplate, ...]:
    """Load every template file; run at start-up so a broken or missing prompt fails before any work."""
    missing = sorted(set(required) - set(available_prompts()))
    if missing:
        raise ConfigError(f"missing prompt template(s): {', '.join(missing)}", where="prover/llm/prompts")
    return tuple(load_prompt(name) for name in available_prompts())
