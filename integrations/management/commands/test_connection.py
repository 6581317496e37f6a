"""manage.py test_connection --integration ID: key valid, stock permissions, shop reachable."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations import tasks
from integrations.models import Integration
from integrations.panel import cli


class Command(BaseCommand):
    help = (
        "Test the connection to the shop: is it reachable, is the API key valid, may it read "
        "and change stock. A passing test resumes a sync stopped by a key or permission error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--integration",
            type=int,
            help="integration id (may be left out when there is exactly one integration)",
        )

    def handle(self, *args, **options):
        integration = self._integration(options["integration"])
        check = tasks.check_connection(integration)
        for line in check.lines:
            self.stdout.write(line)
        if not check.ok:
            raise CommandError(
                _("Connection test failed for %(name)s.") % {"name": integration.name}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Connection test passed for %(name)s.") % {"name": integration.name}
            )
        )
        if check.resumed:
            self.stdout.write(_("The stopped sync of this integration has been resumed."))

    def _integration(self, pk: int | None) -> Integration:
        if pk is not None:
            return cli.one_integration(pk, allow_disabled=True)
        integrations = list(Integration.objects.order_by("pk")[:2])
        if len(integrations) != 1:
            raise CommandError(_("Choose the integration with --integration ID."))
        return integrations[0]
