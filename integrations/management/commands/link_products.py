"""manage.py link_products --integration ID [--dry-run]: link ledger SKUs to the shop's rows."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrations.linking import LinkingError, LinkReport, Match, describe_row, link_products
from integrations.models import Integration
from integrations.prestashop import PrestaShopError

DEFAULT_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Match the ledger's SKUs (then EANs) to the shop's product and combination references, "
        "read in bulk, and link every unique match (dirty, so the next sync pushes its stock). "
        "Duplicates, products with combinations and rows linked elsewhere are reported, "
        "never linked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--integration", type=int, required=True, help="integration id")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be linked; create nothing"
        )
        parser.add_argument(
            "--verbose", action="store_true", help="list the SKUs of every group, not just counts"
        )
        parser.add_argument(
            "--show",
            type=int,
            default=DEFAULT_SHOWN,
            help=f"how many SKUs to list per group with --verbose (default {DEFAULT_SHOWN})",
        )

    def handle(self, *args, **options):
        integration = Integration.objects.filter(pk=options["integration"]).first()
        if integration is None:
            raise CommandError(_("No integration with id %(id)d.") % {"id": options["integration"]})
        try:
            report = link_products(integration, dry_run=options["dry_run"])
        except PrestaShopError as exc:
            raise CommandError(
                _("Could not read the shop's catalogue: %(error)s") % {"error": exc}
            ) from exc
        except LinkingError as exc:
            raise CommandError(str(exc)) from exc
        verbose = options["verbose"] or options["verbosity"] >= 2
        write_report(self.stdout, report, shown=options["show"] if verbose else 0)


def write_report(stdout, report: LinkReport, *, shown: int) -> None:
    """Counts per group, then up to `shown` SKUs of each group with the reason."""
    linked = _("would be linked") if report.dry_run else _("linked")
    groups = [
        (linked, [(m.sku, _describe_match(m)) for m in report.linked]),
        (_("already linked"), _pairs(report.already_linked)),
        (_("unmatched"), _pairs(report.unmatched)),
        (_("ambiguous"), _pairs(report.ambiguous)),
        (_("products with combinations"), _pairs(report.has_combinations)),
        (_("conflicts"), _pairs(report.conflicts)),
    ]
    counts = ", ".join(f"{title} {len(items)}" for title, items in groups)
    stdout.write(_("Products: %(counts)s.") % {"counts": counts})
    if report.requests:
        stdout.write(
            ngettext(
                "The shop's catalogue took %(requests)d request.",
                "The shop's catalogue took %(requests)d requests.",
                report.requests,
            )
            % {"requests": report.requests}
        )
    for title, items in groups:
        if not shown or not items:
            continue
        stdout.write(f"{title.capitalize()}:")
        for sku, reason in items[:shown]:
            stdout.write(f"  {sku}: {reason}")
        if len(items) > shown:
            stdout.write("  " + _("… and %(count)d more") % {"count": len(items) - shown})
    if report.dry_run:
        stdout.write(_("Dry run: nothing was linked."))


def _pairs(skipped) -> list[tuple[str, str]]:
    return [(item.sku, item.reason) for item in skipped]


def _describe_match(match: Match) -> str:
    how = {"reference": _("by SKU"), "ean13": _("by EAN"), "file": _("from the file")}[match.by]
    return f"{describe_row(match.row)} ({how})"
