"""CSV import files: UTF-8 with a header row (row 1), every error named by its row number.

Shared by warehouse's product import and integrations' link import; it imports neither app.
"""

import csv
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO, TypeVar

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Result = TypeVar("Result")


class FileRejected(Exception):
    """An import file has errors; ``errors`` lists every one, with its row number."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def numbered_rows(
    handle: TextIO, required: Sequence[str], *, rejected: type[FileRejected] = FileRejected
) -> Iterator[tuple[int, dict]]:
    """(row number, row) for every data row, with stripped lower-case column names.

    Raises ``rejected`` naming the required columns the header lacks.
    """
    reader = csv.DictReader(handle)
    columns = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in columns]
    if missing:
        raise rejected(
            [_("The file has no column(s): %(columns)s.") % {"columns": ", ".join(missing)}]
        )
    reader.fieldnames = columns
    return enumerate(reader, start=2)


def import_file(path: str, import_rows: Callable[[TextIO], Result]) -> Result:
    """import_rows(the open file) for a command: an unreadable or rejected file is a
    CommandError naming the file (a rejected one with every error and its row)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return import_rows(handle)
    except OSError as exc:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}
        ) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(
            _("%(file)s is not UTF-8 text: %(error)s") % {"file": path, "error": exc}
        ) from exc
    except FileRejected as exc:
        heading = ngettext(
            "%(count)d error in %(file)s, nothing was imported:",
            "%(count)d errors in %(file)s, nothing was imported:",
            len(exc.errors),
        ) % {"count": len(exc.errors), "file": path}
        raise CommandError("\n".join([heading, *exc.errors])) from exc
