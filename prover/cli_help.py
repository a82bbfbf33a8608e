"""How ``prover --help`` reads: placeholders that do not mislead, usage without ``{}``, reflowed text.

Typer's defaults show ``<bool>`` after a flag and ``<int>`` after ``-v`` (which takes no value: ``-vv``),
wrap required arguments as ``{file}`` in the usage line, and keep the docstring's source line breaks. The
command and group classes here fix that for every command of the app, including ones added later.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def reflow(text: str | None) -> str | None:
    """Join the lines of each paragraph, except paragraphs of indented lines (examples, lists)."""
    if not text:
        return text
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        if any(line.startswith("  ") for line in lines):
            paragraphs.append(paragraph)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def _tidy_option(option: Any) -> None:
    if isinstance(option, TyperOption) and (option.is_flag or option.count) and option.metavar is None:
        option.metavar = ""  # a flag takes no value: show none
    elif isinstance(option, TyperArgument) and option.metavar is None and option.name:
        option.metavar = option.name.upper()  # FILE, as the help text calls it


def tidy(command: Any) -> None:
    """Flags without placeholders, help text reflowed (idempotent)."""
    if getattr(command, "_prover_tidy", False):
        return
    for param in command.params:
        _tidy_option(param)
    command.help = reflow(command.help)
    command._prover_tidy = True


class ProverCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces: list[str] = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _tidy_option(option)
        return option


class ProverGroup(TyperGroup):
    """The app's group: every subcommand (and sub-group) gets ``ProverCommand``'s help formatting."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            if type(command) is TyperCommand:
                command.__class__ = ProverCommand
            elif type(command) is TyperGroup:
                command.__class__ = ProverGroup
            tidy(command)
        return command

    def get_help_option(self, ctx: Any) -> Any:
        tidy(self)
        option = super().get_help_option(ctx)
        _tidy_option(option)
        return option
