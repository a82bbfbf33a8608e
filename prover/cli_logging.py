"""How the command line shows log records: rich on stderr at the level of ``-v``/``-q``, plus an optional file.

rich is imported when the first record is shown, not before: most commands log nothing at the default
level, and importing rich costs every command's start-up about 25 ms.
"""

from __future__ import annotations

import logging
from pathlib import Path


class _DeferredRichHandler(logging.Handler):
    """A ``rich.logging.RichHandler`` on stderr, made on the first record that passes the level."""

    def __init__(self, level: int, show_path: bool) -> None:
        super().__init__(level)
        self._show_path = show_path
        self._rich: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._rich is None:
            from rich.console import Console
            from rich.logging import RichHandler

            console = Console(stderr=True, highlight=False, soft_wrap=True)
            self._rich = RichHandler(console=console, show_path=self._show_path, level=self.level)
        self._rich.handle(record)


def configure_logging(verbose: int, quiet: bool, log_file: Path | None) -> None:
    """Root logging for one command: WARNING by default, ERROR with ``-q``, INFO with ``-v``, DEBUG with
    ``-vv``; ``log_file`` also gets every record at DEBUG."""
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    handlers: list[logging.Handler] = [_DeferredRichHandler(level, show_path=verbose >= 2)]
    if log_file is not None:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    root = logging.getLogger()
    root.handlers = handlers
    root.setLevel(logging.DEBUG if log_file is not None else level)
