"""Reservations and shop orders in the admin (Polish): quantities per product, the one-click
goods issue, the order states' roles, the import of orders from before linking."""

import pytest
from django.urls import reverse

from integrations.models import ShopOrder, ShopOrderState
from tests.fixtures.orders import read_orders
from tests.test_admin_integration import form_data
from warehouse import reservations
from warehouse.models import Document, Reservation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def polish(settings):
    settings.LANGUAGE_CODE = "pl"


@pytest.fixture
def held(make_product, warehouse, receive_stock):
    """A mug with 10 in stock, 3 of them held by order ABC."""
    mug = make_product("MUG")
    receive_stock(warehouse, {mug: 10})
    reservation = reservations.hold(
        channel="integration:1",
        order_id=41,
        warehouse=warehouse,
        lines={mug.pk: 3},
        reference="ABC",
        channel_name="Sklep A",
    )
    return mug, reservation


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_products_show_balance_reserved_and_available_and_their_open_orders(admin_client, held):
    mug, reservation = held

    listing = admin_client.get(reverse("admin:warehouse_product_changelist")).content.decode()
    page = admin_client.get(reverse("admin:warehouse_product_change", args=[mug.pk]))

    assert "Zarezerwowane dla zamówień" in listing
    assert '<td class="field-reserved">3</td>' in listing
    assert '<td class="field-available">7</td>' in listing
    text = page.content.decode()
    assert "stan 10, zarezerwowane 3, dostępne 7" in text
    url = reverse("admin:warehouse_reservation_change", args=[reservation.pk])
    assert f'<a href="{url}">ABC</a></td><td>Sklep A</td><td>MAG</td><td>3</td>' in text


def test_the_reservation_action_books_the_order_s_wz_once(admin_client, held):
    _mug, reservation = held
    url = reverse("admin:warehouse_reservation_changelist")
    data = {"action": "issue_goods_selected", "_selected_action": [reservation.pk]}

    first = admin_client.post(url, data, follow=True)
    second = admin_client.post(url, data, follow=True)

    number = Document.objects.get(kind=Document.Kind.WZ).number
    assert messages_of(first) == [f"Zamówienie ABC (Sklep A): zatwierdzono wydanie {number}."]
    assert "Rezerwacja zamówienia ABC nie jest otwarta." in " ".join(messages_of(second))
    assert "Nie zaksięgowano żadnego wydania." in messages_of(second)
    assert Reservation.objects.get().status == Reservation.Status.ISSUED


@pytest.mark.usefixtures("held")
def test_the_action_needs_the_approve_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_reservation"))
    client.force_login(clerk)

    page = client.get(reverse("admin:warehouse_reservation_changelist")).content.decode()

    assert "issue_goods_selected" not in page
    assert Reservation.objects.get().status == Reservation.Status.OPEN


@pytest.fixture
def ordered(reserving, order_shop, warehouse, receive_stock):
    """An order of 2 mugs read into the ledger; returns (integration, its ShopOrder)."""
    integration, (mug, *_rest), rows = reserving
    receive_stock(warehouse, {mug: 5})
    shop_mug = order_shop.stock_rows(ids=[rows[mug.pk]])[0]["id_product"]
    order = order_shop.place_order([(shop_mug, 2)])
    read_orders(integration)
    return integration, ShopOrder.objects.get(ps_order_id=order["id"])


def test_shop_orders_list_their_state_and_reservation_and_issue_goods(admin_client, ordered):
    _integration, order = ordered
    url = reverse("admin:integrations_shoporder_changelist")

    listing = admin_client.get(url).content.decode()
    response = admin_client.post(
        url, {"action": "issue_goods_selected", "_selected_action": [order.pk]}, follow=True
    )

    assert "Awaiting bank wire payment (rezerwuje stan)" in listing
    assert "otwarta" in listing
    assert messages_of(response)[0].startswith(f"Zamówienie {order.reference}: zatwierdzono")
    assert Reservation.objects.get().status == Reservation.Status.ISSUED


def test_the_integration_page_shows_the_orders_and_keeps_the_operator_s_roles(
    admin_client, ordered
):
    integration, _order = ordered
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    page = admin_client.get(url).content.decode()
    assert "Zamówienia ze sklepu" in page
    assert "Statusy zamówień w sklepie: co każdy robi ze stanem" in page
    assert "Odczytano" in page

    states = list(ShopOrderState.objects.filter(integration=integration).order_by("pk"))
    data = form_data(integration, api_key="")
    data.update(
        {
            "reserve_orders": "on",
            "warehouses": [w.pk for w in integration.warehouses.all()],
            "order_states-TOTAL_FORMS": str(len(states)),
            "order_states-INITIAL_FORMS": str(len(states)),
        }
    )
    for n, state in enumerate(states):
        data[f"order_states-{n}-id"] = state.pk
        data[f"order_states-{n}-integration"] = integration.pk
        data[f"order_states-{n}-role"] = "release" if state.ps_state_id == 9 else state.role
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    backorder = ShopOrderState.objects.get(integration=integration, ps_state_id=9)
    assert (backorder.role, backorder.role_set_by_operator) == ("release", True)
    assert ShopOrderState.objects.filter(role_set_by_operator=True).count() == 1


def test_the_warehouse_shipping_orders_must_feed_the_shop(
    admin_client, make_integration, warehouse, make_warehouse
):
    other = make_warehouse()
    integration = make_integration(warehouses=[warehouse])
    data = form_data(integration, order_warehouse=other.pk, warehouses=[warehouse.pk])

    response = admin_client.post(
        reverse("admin:integrations_integration_change", args=[integration.pk]), data
    )

    assert response.status_code == 200
    assert "Wybierz jeden z magazynów zasilających sklep" in response.content.decode()


def test_the_import_action_reserves_the_orders_from_before_linking(
    admin_client, order_shop, make_integration, make_product, link_shop, warehouse
):
    integration = make_integration(order_shop, reserve_orders=True, warehouses=[warehouse])
    mug = make_product("MUG")
    row = link_shop(order_shop, integration, [mug])[mug.pk]
    order_shop.place_order([(order_shop.stock_rows(ids=[row])[0]["id_product"], 1)])
    read_orders(integration)  # the first read: the order predates the integration
    assert not Reservation.objects.exists()

    response = admin_client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "import_open_orders", "_selected_action": [integration.pk]},
        follow=True,
    )

    assert messages_of(response) == [
        "Sklep 1: otwarte zamówienia rezerwujące teraz stan: 1 (z problemem: 0)."
    ]
    assert Reservation.objects.get().status == Reservation.Status.OPEN


def test_turning_reservations_off_or_deleting_the_integration_releases_its_orders(
    admin_client, ordered, warehouse
):
    integration, _order = ordered
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    data = form_data(integration, api_key="", warehouses=[warehouse.pk])  # reserving left off
    assert Reservation.objects.get().status == Reservation.Status.OPEN

    response = admin_client.post(url, data, follow=True)

    assert "Sklep 1: zwolniono otwarte rezerwacje: 1." in messages_of(response)
    assert Reservation.objects.get().status == Reservation.Status.RELEASED

    integration.reserve_orders = True
    integration.save()
    reservations.hold(
        channel=f"integration:{integration.pk}",
        order_id=7,
        warehouse=warehouse,
        lines={Reservation.objects.get().lines.get().product_id: 1},
    )
    delete = reverse("admin:integrations_integration_delete", args=[integration.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not Reservation.objects.filter(status=Reservation.Status.OPEN).exists()
