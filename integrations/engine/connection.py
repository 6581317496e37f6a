"""The connection test: is the shop reachable, is the key valid, may it read and write stock,
does it take several rows in one write.

The answer is a list of sentences in the operator's language. A passing test records the
shop's version and resumes a sync stopped by a key or permission error.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from integrations import limiter_state
from integrations.encryption import ApiKeyUnreadable
from integrations.engine import batching, shop
from integrations.models import Integration
from integrations.prestashop import PrestaShopError
from integrations.ratelimit import measure_concurrency
from integrations.reasons import describe_failure, failure_lines

PROBE_PRODUCT = 1  # any product id: a stock read answers (empty or not) like any other

ORDER_RESOURCES = ("orders", "order_details", "order_states", "configurations")


@dataclass
class ConnectionCheck:
    ok: bool
    lines: list[str] = field(default_factory=list)  # what went right, then what is wrong
    version: str = ""
    resumed: bool = False  # the test cleared a stop set by an earlier shop error


def check_connection(integration: Integration) -> ConnectionCheck:
    """Ask the shop what the key may do and whether it takes several rows per write; on
    success record the version and clear a stop."""
    try:
        client = shop.client_for(integration)
    except ApiKeyUnreadable as error:  # client_for has stopped the integration already
        return ConnectionCheck(ok=False, lines=failure_lines(error))
    try:
        report = client.check_access()
        batch_line = probe_batch_writes(integration, client) if not report.problems else ""
    except PrestaShopError as error:
        return ConnectionCheck(
            ok=False, lines=failure_lines(error, key=integration.readable_api_key)
        )
    finally:
        client.close()
    check = ConnectionCheck(ok=not report.problems, version=report.version)
    check.lines.append(
        _("The shop answers (PrestaShop %(version)s).")
        % {"version": report.version or _("version unknown")}
    )
    check.lines.append(_("The API key is valid."))
    if not report.problems:
        methods = ", ".join(sorted(report.resources.get("stock_availables", set())))
        check.lines.append(
            _("The key may read and change stock (stock_availables: %(methods)s).")
            % {"methods": methods}
        )
    check.lines.append(address_line(report))
    check.lines.extend(_(problem) for problem in report.problems)
    check.lines.extend(_(warning) for warning in report.warnings)
    if batch_line:
        check.lines.append(batch_line)
    if not report.problems:
        check.lines.append(measure_shop_concurrency(integration))
    order_problem = orders_problem(integration, report)
    if order_problem:
        check.ok = False
        check.lines.append(order_problem)
    if check.ok:
        check.resumed = record_success(integration, report.version)
    return check


def measure_shop_concurrency(integration: Integration) -> str:
    """How many stock reads the shop serves at once (a few parallel reads, past the limiter),
    stored on the integration: the concurrency in force unless set by hand. The report's line."""

    def read() -> None:
        client = shop.unlimited_client(integration)
        try:
            client.fetch_stock([PROBE_PRODUCT])
        finally:
            client.close()

    try:
        measured = measure_concurrency(read)
    except PrestaShopError as error:
        return _(
            "How many requests the shop serves at once could not be measured (%(error)s); "
            "%(count)d at once stay in force."
        ) % {
            "error": describe_failure(error, key=integration.readable_api_key),
            "count": integration.concurrency_in_force,
        }
    limiter_state.record_concurrency(integration, measured)
    if integration.max_concurrent_requests:
        return _(
            "The shop served %(measured)d reads at once; the %(count)d set for this "
            "integration stay in force."
        ) % {"measured": measured, "count": integration.max_concurrent_requests}
    return _(
        "The shop served %(count)d reads at once: the sync sends up to %(count)d requests "
        "at once (automatic)."
    ) % {"count": measured}


def orders_problem(integration: Integration, report) -> str:
    """What the key lacks to read orders, when the integration reserves for them ("" if ok)."""
    if not integration.reserve_orders:
        return ""
    missing = [name for name in ORDER_RESOURCES if "GET" not in report.resources.get(name, set())]
    if not missing:
        return ""
    return _(
        "The key may not read %(resources)s, so stock cannot be reserved for the shop's "
        "orders: allow GET on them in the shop's webservice key, or turn reserving off."
    ) % {"resources": ", ".join(missing)}


def probe_batch_writes(integration: Integration, client) -> str:
    """Whether the shop takes several stock rows in one write (two rows written back with
    the quantity they hold); remembered on the integration. Returns the report's line."""
    if integration.batch_writes == Integration.BatchWrites.OFF:
        return _("Multi-row writes are switched off for this integration: one row per request.")
    try:
        support = client.probe_batch_writes()
    except PrestaShopError as error:
        return _(
            "Whether the shop takes several rows in one request could not be checked (%(error)s); "
            "the first sync will check it."
        ) % {"error": describe_failure(error, key=integration.readable_api_key)}
    if not support.supported and support.error is None:
        return _(
            "The shop has fewer than two stock rows that can be written, so multi-row writes "
            "were not checked; the first sync will check them."
        )
    batching.record_support(integration, support)
    if support.supported:
        return _(
            "The shop takes several stock rows in one request (%(method)s): up to %(size)s "
            "rows per request now, adapting to the shop's speed."
        ) % {"method": support.method, "size": integration.batch_size}
    return _("%(reason)s Stock is written one row per request.") % {
        "reason": integration.batch_support_reason
    }


def address_line(report) -> str:
    """Which address form answered: /api/ (URL rewriting) or webservice/dispatcher.php."""
    if report.address_form == "dispatcher":
        form = _("without URL rewriting")
    else:
        form = _("with URL rewriting")
    return _("The webservice answers at %(address)s (%(form)s).") % {
        "address": report.endpoint,
        "form": form,
    }


def record_success(integration: Integration, version: str) -> bool:
    """Store the version, clear the last error and resume a stopped sync; True if it was stopped."""
    was_halted = integration.halted_at is not None
    Integration.objects.filter(pk=integration.pk).update(
        shop_version=version[:20], halted_at=None, last_error="", last_error_at=None
    )
    integration.shop_version, integration.halted_at = version[:20], None
    integration.last_error, integration.last_error_at = "", None
    return was_halted
