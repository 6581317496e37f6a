"""The demo command and its data builder."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from warehouse.demo_data import demo_products, ean13, load_demo_catalogue
from warehouse.management.commands.demo import demo_database_path
from warehouse.models import Document, Product, StockLevel

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


def test_demo_products_are_reproducible_with_valid_eans():
    first, again = demo_products(30, seed=5), demo_products(30, seed=5)

    assert first == again
    assert [p.sku for p in first[:2]] == ["DEMO-00001", "DEMO-00002"]
    assert all(p.ean == ean13(p.ean[:12]) and len(p.ean) == 13 for p in first)
    assert ean13("590123412345") == "5901234123457"


def test_the_demo_catalogue_books_its_opening_stock_as_approved_receipts():
    catalogue = load_demo_catalogue(25, seed=3)

    expected = {
        (p.sku, code): q for p in demo_products(25, seed=3) for code, q in p.quantities.items()
    }
    actual = {
        (sku, code): q
        for sku, code, q in StockLevel.objects.values_list(
            "product__sku", "warehouse__code", "quantity"
        )
    }
    assert actual == expected
    assert [r.status for r in catalogue.receipts] == ["approved", "approved"]
    assert Product.objects.count() == 25


def test_the_demo_runs_and_ends_with_a_clean_ledger():
    out = StringIO()

    call_command("demo", "--products", "12", stdout=out)

    output = out.getvalue()
    assert "REFUSED" in output
    assert "ledger check: OK" in output
    assert "user: admin  password: " in output
    assert Document.objects.filter(status="cancelled").count() == 1


def test_the_demo_refuses_a_database_that_is_not_the_demo_one_and_has_products(make_product):
    make_product()

    with pytest.raises(CommandError, match="not the demo database"):
        call_command("demo", stdout=StringIO())

    assert Product.objects.count() == 1


def test_only_the_demo_sqlite_file_counts_as_the_demo_database(monkeypatch, tmp_path):
    settings_dict = connection.settings_dict
    monkeypatch.setitem(settings_dict, "ENGINE", "django.db.backends.sqlite3")
    for name, expected in [
        (tmp_path / "demo" / "invsync.sqlite3", tmp_path / "demo" / "invsync.sqlite3"),
        (tmp_path / "var" / "invsync.sqlite3", None),
        (tmp_path / "demo" / "other.sqlite3", None),
        (":memory:", None),
    ]:
        monkeypatch.setitem(settings_dict, "NAME", str(name))
        assert demo_database_path() == expected
    monkeypatch.setitem(settings_dict, "ENGINE", "django.db.backends.postgresql")
    monkeypatch.setitem(settings_dict, "NAME", "demo")
    assert demo_database_path() is None
