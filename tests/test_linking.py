"""Linking SKUs to shop rows: manage.py link_products against the simulator, import_links."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.linking import LocalProduct, match_products
from integrations.models import ProductLink
from integrations.prestashop import CatalogueItem
from prestashop_sim import catalogue
from warehouse.models import Product

pytestmark = [pytest.mark.usefixtures("english")]

EAN_ONLY = catalogue.ean13(4242)

# A shop with every case the matcher must tell apart (ids fixed so asserts can name rows).
SHOP_ITEMS = [
    {"id": 10, "reference": "SKU-A", "quantity": 3},
    {"id": 11, "reference": "sku-b  ", "quantity": 4},  # case and trailing spaces differ
    {"id": 12, "reference": "DUP-1"},
    {"id": 13, "reference": "dup-1 "},  # MySQL sees the same reference twice
    {"id": 14, "reference": "SHOP-OWN-REF", "ean13": EAN_ONLY},
    {
        "id": 15,
        "reference": "SHIRT",
        "combinations": [
            {"id": 150, "reference": "SHIRT-S", "quantity": 2},
            {"id": 151, "reference": "SHIRT-M", "quantity": 5},
        ],
    },
    {"id": 16, "reference": "TAKEN"},
    {"id": 17, "reference": "MINE"},
]


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def links_by_sku(integration):
    return {
        link.product.sku: (link.ps_product_id, link.ps_combination_id, link.dirty, link.state)
        for link in ProductLink.objects.filter(integration=integration).select_related("product")
    }


@pytest.fixture
def linking_shop(simulator_factory):
    return simulator_factory(items=SHOP_ITEMS)


@pytest.fixture
def ledger(make_product):
    """Local products for SHOP_ITEMS: one per case, plus two with links made earlier."""
    skus = ["SKU-A", "SKU-B", "DUP-1", "SHIRT", "SHIRT-S", "SHIRT-M", "TAKEN", "MINE", "NOPE"]
    products = {sku: make_product(sku) for sku in skus}
    products["LOCAL-E"] = make_product("LOCAL-E", ean=EAN_ONLY)
    products["OLD-LINK"] = make_product("OLD-LINK")
    return products


@pytest.fixture
def linked_before(make_integration, make_links, linking_shop, ledger):
    """An integration on the shop where OLD-LINK holds product 16 and MINE holds 17."""
    integration = make_integration(linking_shop)
    make_links(integration, [(ledger["OLD-LINK"], 16), (ledger["MINE"], 17)])
    return integration


@pytest.mark.django_db
@pytest.mark.both_databases
def test_link_products_links_unique_matches_and_reports_every_other_case(
    linking_shop, linked_before
):
    output = run("link_products", "--integration", str(linked_before.pk), "--verbose")

    dirty = ProductLink.State.DIRTY
    ok = ProductLink.State.OK
    assert links_by_sku(linked_before) == {
        "SKU-A": (10, 0, True, dirty),
        "SKU-B": (11, 0, True, dirty),
        "LOCAL-E": (14, 0, True, dirty),
        "SHIRT-S": (15, 150, True, dirty),
        "SHIRT-M": (15, 151, True, dirty),
        "OLD-LINK": (16, 0, False, ok),
        "MINE": (17, 0, False, ok),
    }
    assert (
        "Products: linked 5, already linked 2, unmatched 1, ambiguous 1, "
        "products with combinations 1, conflicts 1." in output
    )
    assert "  LOCAL-E: product 14 (by EAN)" in output
    assert "  SHIRT-M: product 15, combination 151 (by SKU)" in output
    assert "  DUP-1: reference DUP-1 matches 2 shop items: product 12; product 13" in output
    assert "  SHIRT: product 15 has combinations; link its combinations instead" in output
    assert "  TAKEN: product 16 is already linked to SKU OLD-LINK" in output
    assert "  MINE: already linked to product 17" in output
    assert "  NOPE: no shop product or combination with this SKU or EAN" in output


@pytest.mark.django_db
def test_dry_run_reports_the_same_counts_and_creates_no_link(linking_shop, linked_before):
    output = run("link_products", "--integration", str(linked_before.pk), "--dry-run")

    assert "would be linked 5, already linked 2, unmatched 1, ambiguous 1" in output
    assert "Dry run: nothing was linked." in output
    assert ProductLink.objects.count() == 2


@pytest.mark.django_db
def test_a_second_run_finds_everything_already_linked(linking_shop, linked_before):
    run("link_products", "--integration", str(linked_before.pk))

    output = run("link_products", "--integration", str(linked_before.pk))

    assert "Products: linked 0, already linked 7, unmatched 1, ambiguous 1" in output
    assert ProductLink.objects.count() == 7


@pytest.mark.django_db
def test_300_products_are_matched_with_two_list_reads(simulator_factory, make_integration):
    shop = simulator_factory(products=300, combination_share=0.2, seed=7)
    items = shop.catalogue()
    with_combinations = {item["id_product"] for item in items if item["id_product_attribute"]}
    sellable = [
        item
        for item in items
        if item["id_product_attribute"] or item["id_product"] not in with_combinations
    ]
    Product.objects.bulk_create(
        Product(sku=item["reference"], name=item["reference"], ean=item["ean13"])
        for item in sellable
    )
    integration = make_integration(shop)
    shop.reset_counters()

    output = run("link_products", "--integration", str(integration.pk))

    assert ProductLink.objects.filter(integration=integration).count() == len(sellable)
    assert len(sellable) > 300  # combinations make more stock rows than products
    assert shop.counters()["by_request"] == {"GET products 200": 1, "GET combinations 200": 1}
    assert f"linked {len(sellable)}, already linked 0, unmatched 0" in output
    assert "The shop's catalogue took 2 requests." in output


def test_two_local_products_matching_one_row_are_both_conflicts_and_neither_is_linked():
    items = [CatalogueItem(5, 0, "MUG", ""), CatalogueItem(6, 0, "PLATE", "5901234123457")]
    products = [LocalProduct(1, "MUG"), LocalProduct(2, "mug"), LocalProduct(3, "X", "")]

    report = match_products(products, items)

    assert report.linked == []
    assert [(s.sku, s.reason) for s in report.conflicts] == [
        ("MUG", "product 5 also matches SKU mug"),
        ("mug", "product 5 also matches SKU MUG"),
    ]
    assert [s.sku for s in report.unmatched] == ["X"]


def test_a_combination_sharing_its_products_reference_is_linked_not_the_product_row():
    items = [
        CatalogueItem(5, 0, "MUG", ""),
        CatalogueItem(5, 50, "mug", ""),  # the only combination carries the product's reference
        CatalogueItem(6, 0, "BOWL", ""),
        CatalogueItem(6, 60, "BOWL", ""),
        CatalogueItem(6, 61, "BOWL", ""),
    ]
    products = [LocalProduct(1, "MUG"), LocalProduct(2, "BOWL")]

    report = match_products(products, items)

    assert [(m.sku, m.row) for m in report.linked] == [("MUG", (5, 50))]
    assert [(s.sku, s.reason) for s in report.ambiguous] == [
        (
            "BOWL",
            "reference BOWL matches 3 shop items: product 6; "
            "product 6, combination 60; product 6, combination 61",
        ),
    ]


def test_a_duplicate_ean_is_ambiguous_and_an_empty_or_zero_ean_matches_nothing():
    items = [
        CatalogueItem(5, 0, "A", "5901234123457"),
        CatalogueItem(6, 0, "B", "5901234123457"),
        CatalogueItem(7, 0, "C", "0000000000000"),
        CatalogueItem(8, 0, "D", ""),
    ]
    products = [LocalProduct(1, "E1", "5901234123457"), LocalProduct(2, "E2", "0000000000000")]

    report = match_products(products, items)

    assert [(s.sku, s.reason) for s in report.ambiguous] == [
        ("E1", "ean13 5901234123457 matches 2 shop items: product 5; product 6"),
    ]
    assert [s.sku for s in report.unmatched] == ["E2"]


def write_csv(tmp_path, text):
    path = tmp_path / "links.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.django_db
@pytest.mark.both_databases
def test_import_links_creates_every_link_of_a_good_file(tmp_path, make_integration, ledger):
    integration = make_integration()
    path = write_csv(
        tmp_path,
        "sku,ps_product_id,ps_combination_id\nSKU-A,10,0\nSHIRT-S,15,150\nNOPE,40,\n",
    )

    output = run("import_links", path, "--integration", str(integration.pk))

    dirty = ProductLink.State.DIRTY
    assert links_by_sku(integration) == {
        "SKU-A": (10, 0, True, dirty),
        "SHIRT-S": (15, 150, True, dirty),
        "NOPE": (40, 0, True, dirty),
    }
    assert "Products: linked 3, already linked 0" in output


@pytest.mark.django_db
@pytest.mark.both_databases
def test_import_links_with_errors_on_three_rows_reports_each_and_imports_nothing(
    tmp_path, make_integration, make_links, ledger
):
    integration = make_integration()
    make_links(integration, [(ledger["OLD-LINK"], 16)])
    path = write_csv(
        tmp_path,
        "sku,ps_product_id,ps_combination_id\n"
        "SKU-A,10,0\n"
        "GHOST,11,0\n"
        "SHIRT-S,15,150\n"
        "TAKEN,16,abc\n"
        "SHIRT-M,2147483648,0\n",
    )

    with pytest.raises(CommandError) as error:
        run("import_links", path)

    assert str(error.value).splitlines() == [
        f"3 errors in {path}, nothing was imported:",
        "Row 3: no product with SKU GHOST.",
        "Row 5: ps_combination_id must be a whole number from 0 to 2147483647 (or empty).",
        "Row 6: ps_product_id must be a whole number from 1 to 2147483647.",
    ]
    assert list(ProductLink.objects.values_list("product__sku", flat=True)) == ["OLD-LINK"]


@pytest.mark.django_db
def test_import_links_refuses_rows_that_repeat_or_take_linked_rows(
    tmp_path, make_integration, make_links, ledger
):
    integration = make_integration()
    make_links(integration, [(ledger["OLD-LINK"], 16), (ledger["MINE"], 17)])
    path = write_csv(
        tmp_path,
        "sku,ps_product_id,ps_combination_id\n"
        "SKU-A,10,0\n"
        "SKU-A,11,0\n"
        "SKU-B,10,0\n"
        "TAKEN,16,0\n"
        "MINE,18,0\n"
        "MINE,17,0\n",
    )

    with pytest.raises(CommandError) as error:
        run("import_links", path, "--integration", str(integration.pk))

    assert str(error.value).splitlines()[1:] == [
        "Row 3: SKU SKU-A already appears on row 2.",
        "Row 4: product 10 already appears on row 2.",
        "Row 5: product 16 is already linked to SKU OLD-LINK.",
        "Row 6: SKU MINE is already linked to product 17.",
        "Row 7: SKU MINE already appears on row 6.",
    ]
    assert ProductLink.objects.count() == 2


@pytest.mark.django_db
def test_import_links_without_the_product_id_column_names_it(tmp_path, make_integration):
    make_integration()
    path = write_csv(tmp_path, "sku,ps_combination_id\nSKU-A,0\n")

    with pytest.raises(CommandError, match=r"The file has no column\(s\): ps_product_id\."):
        run("import_links", path)
