"""Random sequences of approvals and cancellations, over two warehouses and up to the limit,
keep the ledger consistent."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import services
from warehouse.bounds import MAX_QUANTITY
from warehouse.exceptions import InsufficientStock, StockLimitExceeded
from warehouse.models import Product, StockLevel, Warehouse
from warehouse.selectors import ledger_mismatches, stray_movements, unbalanced_transfers

PRODUCTS = 3
WAREHOUSES = 2
SIGN = {"PZ": 1, "IN": 1, "WZ": -1, "OUT": -1}
KINDS = ["PZ", "IN", "WZ", "OUT", "INW", "MM"]

quantity = st.one_of(st.integers(0, 8), st.just(MAX_QUANTITY - 3))
lines = st.dictionaries(st.integers(0, PRODUCTS - 1), quantity, min_size=1, max_size=PRODUCTS)
new_document = st.tuples(
    st.just("new"), st.sampled_from(KINDS), st.integers(0, WAREHOUSES - 1), lines
)
cancellation = st.tuples(st.just("cancel"), st.integers(0, 20), st.none(), st.none())
steps = st.lists(st.one_of(new_document, cancellation), min_size=1, max_size=12)


def expected_after(kind, source, quantities, balances):
    """The balances {(warehouse, product): quantity} a correct ledger has after approval."""
    result = dict(balances)
    for index, quantity in quantities.items():
        if kind == "INW":
            result[source, index] = quantity
        elif kind == "MM":
            result[source, index] -= quantity
            result[1 - source, index] += quantity
        else:
            result[source, index] += SIGN[kind] * quantity
    return result


def refusal_for(after) -> type | None:
    """What the ledger must raise for these balances: shortage first, then the limit."""
    if min(after.values()) < 0:
        return InsufficientStock
    if max(after.values()) > MAX_QUANTITY:
        return StockLimitExceeded
    return None


def cancel_step(index, approved, balances):
    if not approved:
        return balances
    document, reverse = approved[index % len(approved)]
    after = {key: balances[key] + reverse.get(key, 0) for key in balances}
    expected = refusal_for(after)
    if expected:
        with pytest.raises(expected):
            services.cancel(document, user=None)
        return balances
    services.cancel(document, user=None)
    approved.remove((document, reverse))
    return after


def new_step(kind, source, quantities, context, approved, balances):
    products, warehouses = context
    if kind != "INW":
        quantities = {i: q or 1 for i, q in quantities.items()}
    document = services.create_document(
        kind,
        warehouses[source],
        [(products[i], q) for i, q in quantities.items()],
        target_warehouse=warehouses[1 - source] if kind == "MM" else None,
    )
    after = expected_after(kind, source, quantities, balances)
    expected = refusal_for(after)
    if expected:
        with pytest.raises(expected):
            services.approve(document, user=None)
        return balances
    services.approve(document, user=None)
    approved.append((document, {key: balances[key] - after[key] for key in balances}))
    return after


def ledger_balances(products, warehouses):
    rows = StockLevel.objects.filter(warehouse__in=warehouses).values_list(
        "warehouse_id", "product_id", "quantity"
    )
    found = {(w, p): q for w, p, q in rows}
    return {
        (wi, pi): found.get((w.pk, p.pk), 0)
        for wi, w in enumerate(warehouses)
        for pi, p in enumerate(products)
    }


@pytest.mark.django_db
@pytest.mark.both_databases
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_random_approvals_and_cancellations_keep_balances_equal_to_movements(steps):
    # Each example runs in its own savepoint, rolled back at the end, so examples share nothing.
    with transaction.atomic():
        warehouses = [Warehouse.objects.create(code=f"P{i}", name="Property") for i in range(2)]
        products = [Product.objects.create(sku=f"P-{i}", name=f"P {i}") for i in range(PRODUCTS)]
        balances = {(w, p): 0 for w in range(WAREHOUSES) for p in range(PRODUCTS)}
        approved = []
        for action, kind_or_index, source, quantities in steps:
            if action == "cancel":
                balances = cancel_step(kind_or_index, approved, balances)
            else:
                context = (products, warehouses)
                balances = new_step(kind_or_index, source, quantities, context, approved, balances)
            assert ledger_balances(products, warehouses) == balances
            assert 0 <= min(balances.values()) <= max(balances.values()) <= MAX_QUANTITY
        assert (ledger_mismatches(), unbalanced_transfers(), stray_movements()) == ([], [], [])
        transaction.set_rollback(True)
