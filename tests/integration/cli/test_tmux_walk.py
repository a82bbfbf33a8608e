"""The 80-column walk in a real terminal (tmux): prove, doctor, config show, audit on a dataset.

Marked ``slow`` (about 20 s) and skipped where tmux is absent; the default suite asserts the same properties
on ``COLUMNS=80`` subprocess output (``test_prove_cli.py``, ``test_commands_cli.py``). The screens of a walk
are checked in under ``screens/`` (regenerate: ``python -m tests.integration.cli.tmux_walk``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .tmux_walk import WIDTH, walk

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed (apt-get install -y tmux)"
    ),
]

SCREENS = Path(__file__).resolve().parent / "screens"
BOX = ("┏", "┃", "┡", "│", "└")


def table_lines(screen: str) -> list[str]:
    return [line for line in screen.splitlines() if line.startswith(BOX)]


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return walk(tmp_path_factory.mktemp("walk"))


def test_every_table_fits_the_terminal(screens: dict[str, str]) -> None:
    for name, screen in screens.items():
        lines = table_lines(screen)
        assert lines, name
        assert max(len(line) for line in lines) <= WIDTH, name


def test_prove_screen(screens: dict[str, str]) -> None:
    rows = [line for line in table_lines(screens["prove"]) if line.startswith("│")]
    assert len(rows) == 2
    assert "easy_one" in rows[0] and "proved" in rows[0]
    assert "hard_one_with_a_rather_long_name" in rows[1] and "not proved" in rows[1]
    assert "nothing written (give --out FILE or --in-place)" in screens["prove"]


def test_doctor_screen_has_every_fix_whole(screens: dict[str, str]) -> None:
    from prover.doctor import ELAN_INSTALL

    screen = screens["doctor"]
    lines = screen.splitlines()  # captured with wrapped lines joined, as a copy from the terminal would be
    assert f"fix 1 (elan): install elan: {ELAN_INSTALL}" in lines
    assert any(line.endswith("lake exe cache get && lake build") for line in lines)
    assert not any("curl" in line for line in table_lines(screen))


def test_config_show_screen_has_whole_keys(screens: dict[str, str]) -> None:
    from prover.settings import effective_rows, load_settings

    keys = {key for key, _, _ in effective_rows(load_settings(cwd=Path("/")))}
    shown = {
        line.split("│")[1].strip() for line in table_lines(screens["config_show"]) if line.startswith("│")
    }
    assert keys <= shown, keys - shown


def test_audit_screen(screens: dict[str, str]) -> None:
    screen = screens["audit"]
    assert "WARNING" not in screen and "hard deadline" not in screen
    counts = next(line for line in screen.splitlines() if line.startswith("valid: "))
    assert sum(int(part.split(": ")[1]) for part in counts.split(", ")) == 25
    marked = [line for line in table_lines(screen) if "*" in line]
    if marked:
        assert "hit the time limit" in screen


def test_checked_in_screens_are_from_this_walk() -> None:
    names = sorted(path.stem for path in SCREENS.glob("*.txt"))
    assert names == ["audit", "config_show", "doctor", "prove"]
    for path in SCREENS.glob("*.txt"):
        lines = table_lines(path.read_text(encoding="utf-8"))
        assert lines and max(len(line) for line in lines) <= WIDTH, path.name
