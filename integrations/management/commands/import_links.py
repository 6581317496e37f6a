"""manage.py import_links FILE.csv [--integration ID]: create links from a CSV file."""

import functools

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.link_import import import_links_csv
from integrations.linking import LinkingError
from integrations.management.commands.link_products import DEFAULT_SHOWN, write_report
from integrations.models import Integration
from invsync.csvfiles import import_file


class Command(BaseCommand):
    help = (
        "Create product links from CSV with columns sku,ps_product_id,ps_combination_id "
        "(0 or empty for a product without combinations). Every error is reported with its "
        "row number (the header is row 1) and then nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, comma-separated, with a header row")
        parser.add_argument(
            "--integration",
            type=int,
            help="integration id (may be left out when there is exactly one integration)",
        )
        parser.add_argument("--verbose", action="store_true", help="list the SKUs of each group")
        parser.add_argument("--show", type=int, default=DEFAULT_SHOWN, help="SKUs listed per group")

    def handle(self, *args, **options):
        integration = self._integration(options["integration"])
        importing = functools.partial(import_links_csv, integration=integration)
        try:
            report = import_file(options["file"], importing)
        except LinkingError as exc:
            raise CommandError(str(exc)) from exc
        verbose = options["verbose"] or options["verbosity"] >= 2
        write_report(self.stdout, report, shown=options["show"] if verbose else 0)

    def _integration(self, pk: int | None) -> Integration:
        if pk is not None:
            integration = Integration.objects.filter(pk=pk).first()
            if integration is None:
                raise CommandError(_("No integration with id %(id)d.") % {"id": pk})
            return integration
        integrations = list(Integration.objects.all()[:2])
        if len(integrations) != 1:
            raise CommandError(_("Choose the integration with --integration ID."))
        return integrations[0]
