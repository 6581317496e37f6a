#!/usr/bin/env python
"""Write README.md's settings table from the registry of settings (invsync/envvars.py).

    .venv/bin/python scripts/settings_table.py           # print the table
    .venv/bin/python scripts/settings_table.py --write   # put it into README.md
    .venv/bin/python scripts/settings_table.py --check   # exit 1 if README.md differs

The table goes between the two marker lines in README.md; tests/test_settings_table.py
fails while README.md, .env.example and the registry disagree.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Importing the invsync package loads its settings (the Celery app reads them), which want a
# SECRET_KEY; the table needs none.
os.environ.setdefault("INVSYNC_INSECURE_DEV_KEY", "1")

from invsync.envvars import COMPOSE, INVSYNC, SECTIONS, Var  # noqa: E402

README = ROOT / "README.md"
START = "<!-- settings table: written by scripts/settings_table.py, do not edit by hand -->"
END = "<!-- end of settings table -->"
HEADER = ("| variable | kind | default | meaning |", "|---|---|---|---|")


def default_cell(var: Var) -> str:
    """The default as the table shows it: a literal value in code, words as words."""
    if var.default_doc is not None or not var.default:
        return var.default_text
    return f"`{var.default}`"


def meaning_cell(var: Var) -> str:
    """The description, then who reads it, its bounds, its choices and whether it is secret."""
    parts = [var.help]
    if var.read_by == COMPOSE:
        parts.insert(0, "docker compose only:")
    elif var.read_by != INVSYNC:
        parts.insert(0, f"Read by {var.read_by}:")
    if var.minimum is not None:
        parts.append(f"At least {var.minimum:g}.")
    if var.maximum is not None:
        parts.append(f"At most {var.maximum:g}.")
    if var.choices:
        parts.append("One of " + ", ".join(f"`{choice}`" for choice in var.choices) + ".")
    if var.secret and var.read_by == COMPOSE:
        parts.append("Secret: keep `.env` readable by its owner only.")
    elif var.secret:
        parts.append(f"Secret: best given as `{var.name}_FILE`.")
    return " ".join(parts).replace("|", "\\|")


def row(var: Var) -> str:
    return f"| `{var.name}` | {var.kind} | {default_cell(var)} | {meaning_cell(var)} |"


def table() -> str:
    """The whole block, markers included, one table per section."""
    lines = [START]
    for title, group in SECTIONS:
        lines += ["", f"**{title}**", "", *HEADER, *(row(var) for var in group)]
    lines += ["", END]
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """README's text with the block between the markers replaced by the current table."""
    before, start, rest = readme.partition(START)
    _old, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md has no settings table markers ({START} ... {END}).")
    return before + table() + after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="put the table into README.md")
    action.add_argument("--check", action="store_true", help="exit 1 if README.md differs")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    if args.write:
        README.write_text(with_table(readme), encoding="utf-8")
    elif args.check:
        if with_table(readme) != readme:
            print(
                "README.md's settings table is out of date: run scripts/settings_table.py --write"
            )
            return 1
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
