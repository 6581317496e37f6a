"""Several stock rows in one PUT/PATCH, and the switch standing for shops that refuse them."""

import pytest
import requests

from tests.fixtures.sim_requests import send


def rows_body(*rows: dict, wrapped: bool = False) -> str:
    """Entities directly under <prestashop> (or inside <stock_availables>)."""
    entities = "".join(
        "<stock_available>"
        + "".join(f"<{k}>{v}</{k}>" for k, v in row.items())
        + "</stock_available>"
        for row in rows
    )
    if wrapped:
        entities = f"<stock_availables>{entities}</stock_availables>"
    return f"<prestashop>{entities}</prestashop>"


PATCH_3 = rows_body({"id": 22, "quantity": 1}, {"id": 23, "quantity": 2}, {"id": 24, "quantity": 3})
WRAPPED = rows_body(
    {"id": 22, "quantity": 1}, {"id": 23, "quantity": 2}, {"id": 24, "quantity": 3}, wrapped=True
)
FULL = {"id_shop": 1, "id_shop_group": 0, "depends_on_stock": 0, "out_of_stock": 2}


def quantities(sim):
    return [sim.quantity(i) for i in (21, 22, 23, 24)]


def codes(response):
    return [(e["code"], e["message"]) for e in response.json()["errors"]]


def test_every_unwrapped_row_is_written_whatever_row_the_url_names(simulator_section9):
    response = send(simulator_section9, "PATCH", "stock_availables/24", PATCH_3)

    assert response.status_code == 200
    assert response.text.count("<stock_available>") == 3
    assert quantities(simulator_section9) == [3, 1, 2, 3]
    assert simulator_section9.counters()["stock_row_saves"] == 5  # 3 rows and product 7's row twice


def test_wrapped_rows_are_refused_with_code_90_and_nothing_is_written(simulator_section9):
    response = send(simulator_section9, "PATCH", "stock_availables", WRAPPED, output_format="JSON")

    assert response.status_code == 400
    assert codes(response) == [(90, "id is required when modifying a resource")]
    assert quantities(simulator_section9) == [15, 10, 5, 0]


@pytest.mark.parametrize(("bad", "status", "code"), [("999", 404, 92), ("23", 400, 85)])
def test_a_failing_row_stops_the_request_keeping_the_rows_before_it(
    simulator_section9, bad, status, code
):
    data = rows_body(
        {"id": 22, "quantity": 1}, {"id": bad, "quantity": "x"}, {"id": 24, "quantity": 3}
    )
    response = send(simulator_section9, "PATCH", "stock_availables", data, output_format="JSON")

    assert response.status_code == status
    assert [c for c, _ in codes(response)] == [code]
    assert quantities(simulator_section9) == [6, 1, 5, 0]  # 22 written (and its product row)


def test_refuse_style_answers_code_90_and_writes_nothing(simulator_factory):
    sim = simulator_factory(section9=True, multi_row="refuse")
    refused = send(sim, "PUT", "stock_availables", PATCH_3, output_format="JSON")
    single = send(sim, "PATCH", "stock_availables/24", rows_body({"id": 24, "quantity": 3}))

    assert refused.status_code == 400
    assert codes(refused) == [(90, "id is required when modifying a resource")]
    assert single.status_code == 200
    assert quantities(sim) == [15, 10, 5, 3]


def test_refuse_style_with_another_status_is_a_proxy_page(simulator_factory):
    sim = simulator_factory(section9=True, multi_row="refuse", multi_row_status=403)
    response = send(sim, "PATCH", "stock_availables", PATCH_3)

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "PSWS-Version" not in response.headers
    assert quantities(sim) == [15, 10, 5, 0]


def test_first_only_style_writes_and_lists_only_the_first_row(simulator_factory):
    sim = simulator_factory(section9=True, multi_row="first_only")
    response = send(sim, "PATCH", "stock_availables", PATCH_3)

    assert response.status_code == 200
    assert response.text.count("<stock_available>") == 1
    assert "<id><![CDATA[22]]></id>" in response.text
    assert quantities(sim) == [6, 1, 5, 0]


def test_the_style_changes_at_runtime_through_the_side_endpoint(simulator_section9):
    answer = requests.post(
        simulator_section9.url + "_sim/config", json={"multi_row": "first_only"}, timeout=10
    )
    bad = requests.post(
        simulator_section9.url + "_sim/config", json={"multi_row": "sometimes"}, timeout=10
    )
    send(simulator_section9, "PATCH", "stock_availables", PATCH_3)

    assert answer.json()["multi_row"] == "first_only"
    assert bad.status_code == 400
    assert simulator_section9.config.multi_row == "first_only"
    assert quantities(simulator_section9) == [6, 1, 5, 0]


def test_1_7_writes_several_full_rows_by_put_but_has_no_patch(simulator_factory):
    sim = simulator_factory(section9=True, ps_version="1.7.8.11")
    put = send(
        sim,
        "PUT",
        "stock_availables",
        rows_body(
            {"id": 22, "id_product": 7, "id_product_attribute": 31, "quantity": 4, **FULL},
            {"id": 24, "id_product": 8, "id_product_attribute": 0, "quantity": 7, **FULL},
        ),
    )
    patch = send(sim, "PATCH", "stock_availables", PATCH_3)

    assert put.status_code == 200
    assert quantities(sim) == [9, 4, 5, 7]
    assert patch.status_code == 405
