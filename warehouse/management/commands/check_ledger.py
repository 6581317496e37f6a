"""manage.py check_ledger: verify that every balance equals the sum of its movements."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warehouse.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Verify that every stock level equals the sum of its movements (exit 1 if not)."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        if not mismatches:
            self.stdout.write(
                self.style.SUCCESS(_("Ledger OK: every balance equals its movements."))
            )
            return
        for mismatch in mismatches:
            quantity = "-" if mismatch.quantity is None else mismatch.quantity
            self.stdout.write(
                _("%(sku)s @ %(warehouse)s: balance %(quantity)s, movements %(booked)d")
                % {
                    "sku": mismatch.sku,
                    "warehouse": mismatch.warehouse_code,
                    "quantity": quantity,
                    "booked": mismatch.booked,
                }
            )
        raise CommandError(
            _("%(count)d balance(s) differ from their movements.") % {"count": len(mismatches)}
        )
