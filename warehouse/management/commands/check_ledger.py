"""manage.py check_ledger: verify the ledger's invariants.

Every balance equals the sum of its movements and lies within 0..2,147,483,647 (PrestaShop's
limit); every movement lies in its document's warehouses; every MM transfer moves as many
units into its target as out of its source, product by product.

It also reports open reservations holding more than their warehouse's balance: not an error
of the ledger (a shop sold units the warehouse lacks), so they do not change the exit code.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warehouse.bounds import limit_text
from warehouse.selectors import (
    balances_out_of_bounds,
    ledger_mismatches,
    overbooked_reservations,
    stray_movements,
    unbalanced_transfers,
)


class Command(BaseCommand):
    help = (
        "Verify that every stock level equals the sum of its movements and lies within "
        "PrestaShop's limit, and that every MM transfer balances (exit 1 if not)."
    )

    def handle(self, *args, **options):
        self._report_overbooked()
        self._summary: list[str] = []
        problems = [*self._mismatches(), *self._bounds(), *self._transfers()]
        if not problems:
            self.stdout.write(
                self.style.SUCCESS(_("Ledger OK: every balance equals its movements."))
            )
            return
        for line in problems:
            self.stdout.write(line)
        raise CommandError(" ".join(self._summary))

    def _mismatches(self) -> list[str]:
        mismatches = ledger_mismatches()
        if mismatches:
            self._summary.append(
                _("%(count)d balance(s) differ from their movements.") % {"count": len(mismatches)}
            )
        return [
            _("%(sku)s @ %(warehouse)s: balance %(quantity)s, movements %(booked)d")
            % {
                "sku": mismatch.sku,
                "warehouse": mismatch.warehouse_code,
                "quantity": "-" if mismatch.quantity is None else mismatch.quantity,
                "booked": mismatch.booked,
            }
            for mismatch in mismatches
        ]

    def _bounds(self) -> list[str]:
        outside = balances_out_of_bounds()
        if outside:
            self._summary.append(
                _("%(count)d balance(s) lie outside 0..%(limit)s.")
                % {"count": len(outside), "limit": limit_text()}
            )
        return [
            _("%(sku)s @ %(warehouse)s: balance %(quantity)d is outside 0..%(limit)s")
            % {"sku": sku, "warehouse": code, "quantity": quantity, "limit": limit_text()}
            for sku, code, quantity in outside
        ]

    def _transfers(self) -> list[str]:
        unbalanced, stray = unbalanced_transfers(), stray_movements()
        if unbalanced or stray:
            self._summary.append(
                _("%(count)d movement(s) of documents do not add up.")
                % {"count": len(unbalanced) + len(stray)}
            )
        lines = [
            _("%(number)s: %(sku)s moved %(net)+d units in all, not 0")
            % {"number": number, "sku": sku, "net": net}
            for number, sku, net in unbalanced
        ]
        return lines + [
            _("%(number)s: %(sku)s booked in %(warehouse)s, outside the document's warehouses")
            % {"number": number, "sku": sku, "warehouse": code}
            for number, sku, code in stray
        ]

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
