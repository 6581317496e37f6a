"""The discrepancy report: a read-only pass comparing the ledger with the shop's stock.

It reads the shop in bulk (one stock read per chunk of links) and the ledger in one aggregate
query per chunk, and writes nothing anywhere: not to the shop, not to the links.
"""

from dataclasses import dataclass, field

from integrations.engine import shop
from integrations.engine.plan import desired_quantities, plan_changes, targets_of
from integrations.models import Integration, ProductLink
from integrations.prestashop import PrestaShopError
from integrations.reasons import described


@dataclass(frozen=True)
class Discrepancy:
    link_id: int
    sku: str
    name: str
    ledger: int
    shop: int

    @property
    def difference(self) -> int:
        """How far the shop is off: shop minus ledger."""
        return self.shop - self.ledger


@dataclass(frozen=True)
class MissingInShop:
    link_id: int
    sku: str
    name: str
    ps_product_id: int
    ps_combination_id: int
    reason: str


@dataclass
class DiscrepancyReport:
    integration: Integration
    checked: int = 0
    rows: list[Discrepancy] = field(default_factory=list)
    missing: list[MissingInShop] = field(default_factory=list)
    requests: int = 0

    @property
    def link_ids(self) -> list[int]:
        """The links a fix should sync: differing ones (missing ones need a human first)."""
        return [row.link_id for row in self.rows]


def find_discrepancies(
    integration: Integration, *, chunk_size: int | None = None, on_chunk=None
) -> DiscrepancyReport:
    """Compare every link's ledger quantity with the shop's (read-only).

    ``on_chunk(report)``, if given, is called after each chunk with the report so far (the
    background report records its progress there).

    A shop failure is raised as a DescribedFailure (a PrestaShopError) whose text is the
    operator's sentence, so the report page and the command show it as it is.
    """
    report = DiscrepancyReport(integration=integration)
    size = max(chunk_size or integration.chunk_size, 1)
    links = integration.links.select_related("product").order_by("pk")
    ids = list(links.values_list("pk", flat=True))
    client = shop.client_for(integration)
    try:
        for start in range(0, len(ids), size):
            chunk = list(links.filter(pk__in=ids[start : start + size]))
            _compare_chunk(client, integration, chunk, report)
            report.requests = client.requests_sent
            if on_chunk is not None:
                on_chunk(report)
    except PrestaShopError as exc:
        raise described(exc, key=integration.readable_api_key) from exc
    finally:
        client.close()
    return report


def _compare_chunk(client, integration, links: list[ProductLink], report) -> None:
    desired = desired_quantities(integration, [link.product_id for link in links])
    read = client.fetch_stock({link.ps_product_id for link in links})
    plan = plan_changes(targets_of(links), desired, read)
    by_id = {link.pk: link for link in links}
    report.checked += len(links)
    for change in plan.changes:
        link = by_id[change.link_id]
        report.rows.append(
            Discrepancy(
                link.pk, link.product.sku, link.product.name, change.quantity, change.row.quantity
            )
        )
    for link_id, reason in plan.missing.items():
        link = by_id[link_id]
        report.missing.append(
            MissingInShop(
                link.pk,
                link.product.sku,
                link.product.name,
                link.ps_product_id,
                link.ps_combination_id,
                str(reason),
            )
        )
