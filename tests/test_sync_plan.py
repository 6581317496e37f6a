"""plan_changes(): the pure diff between the ledger's wanted quantities and the shop's rows."""

from integrations.engine.plan import (
    COMBINATION_NOT_FOUND,
    PRODUCT_NOT_FOUND,
    Change,
    LinkTarget,
    plan_changes,
)
from integrations.prestashop import StockRead, StockRow


def row(stock_id, product, quantity, attribute=0) -> StockRow:
    return StockRow(stock_id, product, attribute, 1, 0, quantity, 0, 2, "")


def read(*rows, missing=()) -> StockRead:
    return StockRead({r.key: r for r in rows}, frozenset(missing), 1)


def test_only_rows_that_differ_become_changes():
    targets = [LinkTarget(1, 101, 11), LinkTarget(2, 102, 12), LinkTarget(3, 103, 13)]
    shop = read(row(91, 11, 5), row(92, 12, 0), row(93, 13, 7))
    plan = plan_changes(targets, {101: 5, 102: 3}, shop)
    assert plan.changes == [Change(2, row(92, 12, 0), 3), Change(3, row(93, 13, 7), 0)]
    assert set(plan.in_sync) == {1}
    assert plan.missing == {}


def test_a_product_the_ledger_has_no_balance_for_wants_zero():
    plan = plan_changes([LinkTarget(1, 101, 11)], {}, read(row(91, 11, 4)))
    assert plan.changes == [Change(1, row(91, 11, 4), 0)]


def test_a_missing_product_is_reported_not_set_to_zero():
    plan = plan_changes([LinkTarget(1, 101, 11)], {101: 3}, read(missing=[11]))
    assert plan.changes == []
    assert plan.missing == {1: str(PRODUCT_NOT_FOUND)}


def test_a_missing_combination_of_a_present_product_is_reported():
    targets = [LinkTarget(1, 101, 11, 5), LinkTarget(2, 102, 11, 6)]
    plan = plan_changes(targets, {101: 1, 102: 2}, read(row(91, 11, 3, 0), row(92, 11, 2, 6)))
    assert plan.missing == {1: str(COMBINATION_NOT_FOUND)}
    assert set(plan.in_sync) == {2}


def test_combinations_are_matched_on_product_and_attribute():
    targets = [LinkTarget(1, 101, 11, 0), LinkTarget(2, 102, 11, 7)]
    shop = read(row(91, 11, 9, 0), row(92, 11, 1, 7))
    plan = plan_changes(targets, {101: 9, 102: 4}, shop)
    assert plan.changes == [Change(2, row(92, 11, 1, 7), 4)]
