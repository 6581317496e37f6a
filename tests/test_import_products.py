"""manage.py import_products: all of a good file, none of a bad one."""

import pytest
from django.core.management import CommandError, call_command

from warehouse.models import Document, Product, StockLevel, StockMovement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


def write_csv(tmp_path, text):
    path = tmp_path / "products.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_import(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_products", *args, stdout=out)
    return out.getvalue()


def test_a_good_file_creates_products_and_updates_existing_skus(tmp_path, make_product):
    make_product("KUB-1", name="Kubek stary", ean="")
    path = write_csv(
        tmp_path,
        "sku,name,ean\n"
        "KUB-1,Kubek biały,5901234123457\n"
        "TAL-2,Talerz płaski,\n"
        "MIS-3,Miska,59012341\n",
    )

    output = run_import(path)

    assert sorted(Product.objects.values_list("sku", "name", "ean")) == [
        ("KUB-1", "Kubek biały", "5901234123457"),
        ("MIS-3", "Miska", "59012341"),
        ("TAL-2", "Talerz płaski", ""),
    ]
    assert "2 created, 1 updated, 0 unchanged" in output
    assert "Existing SKUs updated (name/EAN): KUB-1" in output
    assert Document.objects.count() == 0


def test_errors_on_rows_3_and_5_are_all_reported_and_nothing_is_imported(tmp_path, make_product):
    make_product("OLD-1", name="Stara nazwa")
    path = write_csv(
        tmp_path,
        "sku,name,ean,quantity,warehouse\n"
        "OLD-1,Nowa nazwa,,,\n"
        "BAD-3,Bez EAN-u,12AB,1,\n"
        "OK-4,Dobry,,,\n"
        ",Bez SKU,,-2,\n",
    )

    with pytest.raises(CommandError) as failure:
        run_import(path, "--warehouse", "MAG")

    message = str(failure.value)
    assert "3 errors in" in message
    assert "nothing was imported" in message
    assert "Row 3: the EAN 12AB must be 8, 12, 13 or 14 digits." in message
    assert "Row 5: the SKU is empty." in message
    assert "Row 5: the quantity -2 is not a whole number of 0 or more." in message
    assert "Row 2" not in message
    assert "Row 4" not in message
    assert list(Product.objects.values_list("sku", "name")) == [("OLD-1", "Stara nazwa")]


def test_opening_quantities_are_booked_as_one_approved_receipt_per_warehouse(
    tmp_path, make_warehouse
):
    make_warehouse("MAG")
    make_warehouse("ZAP")
    path = write_csv(
        tmp_path,
        "sku,name,ean,quantity,warehouse\n"
        "A,Produkt A,,5,MAG\n"
        "B,Produkt B,,0,MAG\n"
        "C,Produkt C,,7,ZAP\n"
        "D,Produkt D,,3,\n",
    )

    output = run_import(path, "--warehouse", "MAG")

    receipts = Document.objects.filter(kind="PZ", origin="import").order_by("warehouse__code")
    assert [(d.warehouse.code, d.status) for d in receipts] == [
        ("MAG", "approved"),
        ("ZAP", "approved"),
    ]
    assert sorted(
        StockLevel.objects.values_list("product__sku", "warehouse__code", "quantity")
    ) == [
        ("A", "MAG", 5),
        ("C", "ZAP", 7),
        ("D", "MAG", 3),
    ]
    assert StockMovement.objects.count() == 3
    assert f"Opening stock: {receipts[0].number} in MAG, 2 products, 8 units." in output


def test_an_unknown_warehouse_or_a_repeated_sku_is_refused_with_its_row(tmp_path, warehouse):
    path = write_csv(
        tmp_path,
        "sku,name,ean,quantity,warehouse\nA,Produkt A,,5,NOPE\nB,Produkt B,,,\nB,Produkt B2,,,\n",
    )

    with pytest.raises(CommandError) as failure:
        run_import(path)

    message = str(failure.value)
    assert "Row 2: there is no warehouse NOPE." in message
    assert "Row 4: SKU B already appears on row 3." in message
    assert Product.objects.count() == 0


def test_a_file_without_the_required_columns_is_refused(tmp_path):
    path = write_csv(tmp_path, "sku,title\nA,Produkt\n")

    with pytest.raises(CommandError, match="The file has no column\\(s\\): name, ean"):
        run_import(path)

    assert Product.objects.count() == 0


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(str(tmp_path / "missing.csv"))


def test_a_quantity_above_the_limit_is_refused_with_its_row(tmp_path, warehouse):
    path = write_csv(
        tmp_path,
        "sku,name,ean,quantity,warehouse\n"
        "A,Produkt A,,2147483647,MAG\n"
        "B,Produkt B,,2147483648,MAG\n",
    )

    with pytest.raises(CommandError) as failure:
        run_import(path)

    assert str(failure.value).splitlines()[1:] == [
        "Row 3: the quantity 2147483648 is above the limit of 2,147,483,647."
    ]
    assert (Product.objects.count(), StockMovement.objects.count()) == (0, 0)


def test_a_quantity_that_would_push_a_held_balance_past_the_limit_is_refused(
    tmp_path, make_product, warehouse, receive_stock
):
    receive_stock(warehouse, {make_product("A", name="Produkt A"): 2147483000})
    path = write_csv(tmp_path, "sku,name,ean,quantity,warehouse\nA,Produkt A,,648,MAG\n")

    with pytest.raises(CommandError) as failure:
        run_import(path)

    assert str(failure.value).splitlines()[1:] == [
        "Row 2: A already has 2147483000 in MAG; adding 648 would pass the limit of 2,147,483,647."
    ]
    assert StockMovement.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param(
            'sku,name,ean\nA,"Kubek,\nB,Talerz,\n',
            "Row 2: too few values (2, the header has 3 columns). A quotation mark opened on "
            "this row is not closed: the row runs on to line 3.",
            id="unclosed-quote",
        ),
        pytest.param(
            "sku,name,ean\nA,Kub\x00ek,\n",
            "Row 2: contains a NUL character; is this a CSV text file?",
            id="nul",
        ),
        pytest.param(
            f"sku,name,ean\nA,{'x' * 200_000},\n",
            "Row 2: a value is longer than 1000 characters.",
            id="oversized",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_the_row_and_nothing_is_imported(tmp_path, text, error):
    path = write_csv(tmp_path, text)

    with pytest.raises(CommandError) as failure:
        run_import(path)

    assert str(failure.value).splitlines() == [
        f"1 error in {path}, nothing was imported:",
        error,
    ]
    assert Product.objects.count() == 0
