"""manage.py import_open_orders --integration ID: reserve the open orders placed before linking."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.engine.order_import import import_open_orders
from integrations.models import Integration
from integrations.panel import cli
from integrations.prestashop import PrestaShopError
from integrations.reasons import describe_failure


class Command(BaseCommand):
    help = (
        "Reserve stock for the shop's open orders placed before the integration started "
        "reading orders (once, after linking; running it again changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--integration",
            type=int,
            help="integration id (may be left out when there is exactly one integration)",
        )

    def handle(self, *args, **options):
        integration = self._integration(options["integration"])
        if not integration.reserve_orders:
            raise CommandError(
                _("Integration %(name)s does not reserve stock for shop orders.")
                % {"name": integration.name}
            )
        try:
            result = import_open_orders(integration)
        except PrestaShopError as error:
            raise CommandError(describe_failure(error, key=integration.readable_api_key)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _("%(count)d open orders of %(name)s hold their stock now.")
                % {"count": result.orders, "name": integration.name}
            )
        )
        if result.problems:
            self.stdout.write(
                _("%(count)d of them report a problem: see Shop orders in the admin.")
                % {"count": result.problems}
            )

    def _integration(self, pk: int | None) -> Integration:
        if pk is not None:
            return cli.one_integration(pk)
        integrations = list(Integration.objects.order_by("pk")[:2])
        if len(integrations) != 1:
            raise CommandError(_("Choose the integration with --integration ID."))
        return integrations[0]
