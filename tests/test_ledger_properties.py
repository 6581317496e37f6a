"""Random sequences of approvals and cancellations keep the ledger consistent."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import services
from warehouse.exceptions import InsufficientStock
from warehouse.models import Product, StockLevel, Warehouse
from warehouse.selectors import ledger_mismatches

PRODUCTS = 3
SIGN = {"PZ": 1, "IN": 1, "WZ": -1, "OUT": -1}

lines = st.dictionaries(
    st.integers(0, PRODUCTS - 1), st.integers(0, 8), min_size=1, max_size=PRODUCTS
)
new_document = st.tuples(st.just("new"), st.sampled_from(["PZ", "IN", "WZ", "OUT", "INW"]), lines)
cancellation = st.tuples(st.just("cancel"), st.integers(0, 20), st.none())
steps = st.lists(st.one_of(new_document, cancellation), min_size=1, max_size=12)


def expected_after(kind, quantities, balances):
    """The balances a correct ledger has after approving the document."""
    result = dict(balances)
    for index, quantity in quantities.items():
        result[index] = quantity if kind == "INW" else result[index] + SIGN[kind] * quantity
    return result


def apply_step(step, products, warehouse, approved, balances):
    """Perform one step; return the balances the ledger must show afterwards."""
    action, kind_or_index, quantities = step
    if action == "cancel":
        if not approved:
            return balances
        document, reverse = approved[kind_or_index % len(approved)]
        try:
            services.cancel(document, user=None)
        except InsufficientStock:
            assert any(balances[i] + delta < 0 for i, delta in reverse.items())
            return balances
        approved.remove((document, reverse))
        return {i: balances[i] + reverse.get(i, 0) for i in balances}
    if kind_or_index != "INW":
        quantities = {i: q or 1 for i, q in quantities.items()}
    document = services.create_document(
        kind_or_index, warehouse, [(products[i], q) for i, q in quantities.items()]
    )
    after = expected_after(kind_or_index, quantities, balances)
    try:
        services.approve(document, user=None)
    except InsufficientStock:
        assert any(value < 0 for value in after.values())
        return balances
    assert all(value >= 0 for value in after.values())
    approved.append((document, {i: balances[i] - after[i] for i in balances}))
    return after


@pytest.mark.django_db
@pytest.mark.both_databases
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_random_approvals_and_cancellations_keep_balances_equal_to_movements(steps):
    # Each example runs in its own savepoint, rolled back at the end, so examples share nothing.
    with transaction.atomic():
        warehouse = Warehouse.objects.create(code="P", name="Property")
        products = [Product.objects.create(sku=f"P-{i}", name=f"P {i}") for i in range(PRODUCTS)]
        balances = dict.fromkeys(range(PRODUCTS), 0)
        approved = []
        for step in steps:
            balances = apply_step(step, products, warehouse, approved, balances)
            actual = {
                products.index(level.product): level.quantity
                for level in StockLevel.objects.filter(warehouse=warehouse).select_related(
                    "product"
                )
            }
            assert {i: actual.get(i, 0) for i in range(PRODUCTS)} == balances
            assert min(balances.values()) >= 0
            assert ledger_mismatches() == []
        transaction.set_rollback(True)
