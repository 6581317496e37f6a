"""manage.py import_products FILE.csv: create or update products, book opening stock."""

import functools

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from invsync.csvfiles import import_file
from warehouse.exceptions import LedgerError
from warehouse.importing import import_products_csv

SHOWN_SKUS = 20


class Command(BaseCommand):
    help = (
        "Import products from CSV with columns sku,name,ean and optional quantity,warehouse "
        "(opening stock, booked as one approved PZ per warehouse). Every error is reported "
        "with its row number (the header is row 1) and then nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, comma-separated, with a header row")
        parser.add_argument(
            "--warehouse", default="", help="warehouse code for rows without a warehouse column"
        )

    def handle(self, *args, **options):
        path = options["file"]
        try:
            result = import_file(
                path,
                functools.partial(
                    import_products_csv, default_warehouse=options["warehouse"], source=path
                ),
            )
        except LedgerError as exc:
            raise CommandError(str(exc)) from exc
        self._report(result)

    def _report(self, result):
        self.stdout.write(
            _("Products: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": result.unchanged,
            }
        )
        if result.updated:
            shown = ", ".join(result.updated[:SHOWN_SKUS])
            more = "…" if len(result.updated) > SHOWN_SKUS else ""
            self.stdout.write(
                _("Existing SKUs updated (name/EAN): %(skus)s") % {"skus": shown + more}
            )
        for document in result.documents:
            lines = list(document.lines.values_list("quantity", flat=True))
            self.stdout.write(
                _(
                    "Opening stock: %(number)s in %(warehouse)s, "
                    "%(lines)d products, %(units)d units."
                )
                % {
                    "number": document.number,
                    "warehouse": document.warehouse.code,
                    "lines": len(lines),
                    "units": sum(lines),
                }
            )
