"""manage.py check_ledger: verify that every balance equals the sum of its movements.

It also reports open reservations holding more than their warehouse's balance: not an error
of the ledger (a shop sold units the warehouse lacks), so they do not change the exit code.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warehouse.selectors import ledger_mismatches, overbooked_reservations


class Command(BaseCommand):
    help = "Verify that every stock level equals the sum of its movements (exit 1 if not)."

    def handle(self, *args, **options):
        self._report_overbooked()
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

    def _report_overbooked(self) -> None:
        for found in overbooked_reservations():
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(sku)s @ %(warehouse)s: open reservations hold %(reserved)d, "
                        "the balance is %(balance)d"
                    )
                    % {
                        "sku": found.sku,
                        "warehouse": found.warehouse_code,
                        "reserved": found.reserved,
                        "balance": found.balance,
                    }
                )
            )
