from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.cli_logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers, root.level = handlers, level


def test_default_level_shows_warnings_not_info(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(verbose=0, quiet=False, log_file=None)
    logging.getLogger("prover.test").info("an info line")
    logging.getLogger("prover.test").warning("a warning line")
    err = capsys.readouterr().err
    assert "a warning line" in err
    assert "an info line" not in err


def test_verbose_shows_info_and_quiet_hides_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(verbose=1, quiet=False, log_file=None)
    logging.getLogger("prover.test").info("shown with -v")
    assert "shown with -v" in capsys.readouterr().err
    configure_logging(verbose=0, quiet=True, log_file=None)
    logging.getLogger("prover.test").warning("hidden with -q")
    logging.getLogger("prover.test").error("errors still show")
    err = capsys.readouterr().err
    assert "hidden with -q" not in err
    assert "errors still show" in err


def test_log_file_gets_debug_records_the_terminal_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "run.log"
    configure_logging(verbose=0, quiet=False, log_file=log_file)
    logging.getLogger("prover.test").debug("a debug detail")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "a debug detail" in log_file.read_text(encoding="utf-8")
    assert "a debug detail" not in capsys.readouterr().err
