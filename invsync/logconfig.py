"""Pieces of settings.LOGGING: a filter for one noisy message, the level of a process."""

import logging
from pathlib import Path


class DropMessages(logging.Filter):
    """Drops the records whose message starts with one of the given prefixes."""

    def __init__(self, prefixes=()):
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


def process_log_level(argv: list[str], configured: str) -> str:
    """The root level: LOG_LEVEL, but at least WARNING for a quiet manage.py command.

    A command prints its own progress; the engine's INFO lines are meant for the logs of the
    workers (celery) and the panel (gunicorn, runserver) and would interleave with it. With
    --verbosity 2 or more a command logs at LOG_LEVEL like the rest.
    """
    is_command = bool(argv) and Path(argv[0]).name == "manage.py"
    if not is_command or argv[1:2] == ["runserver"] or command_verbosity(argv) >= 2:
        return configured
    if logging.getLevelName(configured.upper()) in range(logging.WARNING):
        return "WARNING"
    return configured


def command_verbosity(argv: list[str]) -> int:
    """The -v/--verbosity value on a manage.py command line (1 when absent or unreadable)."""
    value = "1"
    for position, word in enumerate(argv):
        if word in ("-v", "--verbosity") and position + 1 < len(argv):
            value = argv[position + 1]
        elif word.startswith("--verbosity="):
            value = word.partition("=")[2]
        elif word.startswith("-v") and word[2:].isdigit():
            value = word[2:]
    return int(value) if value.isdigit() else 1
