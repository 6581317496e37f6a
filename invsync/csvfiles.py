"""CSV import files: UTF-8 with a header row (row 1), every error named by its row number.

Shared by warehouse's product import and integrations' link import; it imports neither app.
A row's number is the line of the file it starts on, as an editor shows it. The reader
refuses, with their rows, what the csv module would let through or turn into a traceback: a
row with fewer or more values than the header has columns (an unclosed quotation mark shows up
as a short row that runs on over the next lines), a NUL character, a value longer than
MAX_VALUE_CHARS.
"""

import csv
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO, TypeVar

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Result = TypeVar("Result")

# Far above any value an import needs (a product name holds 255 characters), far below what
# would make a row a burden to keep in memory or to show in an error.
MAX_VALUE_CHARS = 1_000


class FileRejected(Exception):
    """An import file has errors; ``errors`` lists every one, with its row number."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def numbered_rows(
    handle: TextIO, required: Sequence[str], *, rejected: type[FileRejected] = FileRejected
) -> Iterator[tuple[int, dict]]:
    """(row number, row) for every data row, with stripped lower-case column names.

    Reads the whole file first. Raises ``rejected`` naming the required columns the header
    lacks, or every malformed row (see the module docstring); then no row is returned.
    """
    records, errors = _read_records(handle)
    header = records[0][2] if records else []
    errors = [*(_value_errors(1, header) if records else []), *errors]
    columns = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in columns]
    if missing:
        errors.insert(
            0, _("The file has no column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        )
    rows = []
    for start, end, values in records[1:]:
        problems = _value_errors(start, values) + _width_errors(start, end, values, len(columns))
        errors += problems
        if not problems:
            rows.append((start, dict(zip(columns, values, strict=True))))
    if errors:
        raise rejected(errors)
    return iter(rows)


def _read_records(handle: TextIO) -> tuple[list[tuple[int, int, list[str]]], list[str]]:
    """(first line, last line, values) of every non-blank record, and the records the csv
    module could not read (it goes on with the next line)."""
    reader = csv.reader(handle)
    records, errors = [], []
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return records, errors
        except csv.Error as exc:
            errors.append(_unreadable(start, exc))
            continue
        if values:
            records.append((start, reader.line_num, values))


def _unreadable(row: int, exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return _too_long(row)
    return _("Row %(row)d: not valid CSV (%(error)s).") % {"row": row, "error": exc}


def _too_long(row: int) -> str:
    return _("Row %(row)d: a value is longer than %(limit)d characters.") % {
        "row": row,
        "limit": MAX_VALUE_CHARS,
    }


def _value_errors(row: int, values: list[str]) -> list[str]:
    errors = []
    if any("\x00" in value for value in values):
        errors.append(
            _("Row %(row)d: contains a NUL character; is this a CSV text file?") % {"row": row}
        )
    if any(len(value) > MAX_VALUE_CHARS for value in values):
        errors.append(_too_long(row))
    return errors


def _width_errors(start: int, end: int, values: list[str], width: int) -> list[str]:
    if len(values) > width:
        return [_("Row %(row)d: more values than columns.") % {"row": start}]
    if len(values) == width:
        return []
    message = _("Row %(row)d: too few values (%(found)d, the header has %(columns)d columns).") % {
        "row": start,
        "found": len(values),
        "columns": width,
    }
    if end > start:
        message += " " + _(
            "A quotation mark opened on this row is not closed: the row runs on to line %(end)d."
        ) % {"end": end}
    return [message]


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
