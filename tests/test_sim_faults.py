"""Each injected fault produces exactly what it promises, and only where it is targeted."""

import random
import time

import pytest
import requests
from lxml import etree

from tests.fixtures.sim_requests import KEY

PATCH_24 = (
    "<prestashop><stock_available><id>24</id><quantity>40</quantity></stock_available></prestashop>"
)


@pytest.fixture
def shop(simulator_section9):
    return simulator_section9


def get(shop, path="stock_availables/24", *, timeout=10, **kwargs):
    return requests.get(shop.api_url + path, auth=(KEY, ""), timeout=timeout, **kwargs)


def clean_body(shop):
    shop.faults.clear()
    return get(shop).content


@pytest.mark.parametrize(
    ("status", "marker"), [(502, "502 Bad Gateway"), (503, "503 Service"), (500, "Fatal error")]
)
def test_http_error_answers_the_status_with_an_html_page(shop, status, marker):
    shop.faults.add("http_error", status=status)
    response = get(shop)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert marker in response.text
    assert "PSWS-Version" not in response.headers


def test_hang_sleeps_before_answering_so_a_client_timeout_fires(shop):
    shop.faults.add("hang", seconds=1.0, count=1)

    with pytest.raises(requests.ReadTimeout):
        get(shop, timeout=0.2)
    assert get(shop, timeout=5).status_code == 200


def test_drop_closes_the_connection_without_an_answer(shop):
    shop.faults.add("drop", count=1)

    with pytest.raises(requests.ConnectionError):
        get(shop)
    assert get(shop).status_code == 200


def test_maintenance_is_a_503_html_page(shop):
    shop.faults.add("maintenance")
    response = get(shop)

    assert response.status_code == 503
    assert "We'll be back soon." in response.text


def test_truncated_body_is_the_first_half_and_does_not_parse(shop):
    full = clean_body(shop)
    shop.faults.add("truncated")
    response = get(shop)

    assert response.status_code == 200
    assert response.content == full[: len(full) // 2]
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)


def test_malformed_body_does_not_parse(shop):
    shop.faults.add("malformed")
    response = get(shop)

    assert response.status_code == 200
    assert response.text.endswith("<error>\n</prestashop>\n")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)


def test_wrong_content_type_keeps_the_body(shop):
    full = clean_body(shop)
    shop.faults.add("wrong_content_type")
    response = get(shop)

    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.content == full


def test_php_leak_prefixes_output_and_switches_content_type(shop):
    full = clean_body(shop)
    shop.faults.add("php_leak")
    response = get(shop)

    assert response.headers["Content-Type"] == "application/javascript"
    assert response.content.startswith(b"\n<b>Notice</b>:  Undefined index")
    assert response.content.endswith(full)


def test_php_warning_is_a_500_with_the_warning_entry(shop):
    shop.faults.add("php_warning")
    response = get(shop, params={"output_format": "JSON"})

    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == 3
    assert response.json()["errors"][0]["message"].startswith("[PHP Warning #2] Trying to access")


@pytest.mark.parametrize(
    ("variant", "marker"),
    [("billion_laughs", b"<!ENTITY lol9"), ("external", b'SYSTEM "file:///etc/passwd"')],
)
def test_entity_bomb_sends_a_document_declaring_hostile_entities(shop, variant, marker):
    shop.faults.add("entity_bomb", variant=variant)
    response = get(shop)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert marker in response.content
    assert len(response.content) < 2000


def test_ignore_filter_returns_every_row(shop):
    shop.faults.add("ignore_filter")
    response = get(
        shop, "stock_availables", params={"filter[id_product]": "[8]", "output_format": "JSON"}
    )

    assert [r["id"] for r in response.json()["stock_availables"]] == [21, 22, 23, 24]


def test_not_applied_write_echoes_the_value_but_keeps_the_old_one(shop):
    shop.faults.add("not_applied")
    response = requests.patch(
        shop.api_url + "stock_availables/24?output_format=JSON",
        data=PATCH_24,
        auth=(KEY, ""),
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json()["stock_available"]["quantity"] == "40"
    assert shop.quantity(24) == 0
    assert shop.counters()["stock_row_saves"] == 0


def test_targeted_fault_hits_only_its_method_and_resource_and_only_n_times(shop):
    rule = shop.faults.add(
        "http_error", status=502, methods={"PATCH"}, resources={"stock_availables"}, count=2
    )
    statuses = [get(shop).status_code, get(shop, "products/7").status_code]
    statuses += [
        requests.patch(
            shop.api_url + "stock_availables/24", data=PATCH_24, auth=(KEY, ""), timeout=10
        ).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 502, 502, 200]
    assert rule.fired == 2


def test_probability_follows_the_seeded_rng(shop):
    shop.faults.seed(42)
    shop.faults.add("http_error", status=503, probability=0.3)
    statuses = [get(shop).status_code for _ in range(40)]

    rng = random.Random(42)
    expected = [503 if rng.random() < 0.3 else 200 for _ in range(40)]
    assert statuses == expected


def test_side_endpoint_configures_and_lists_faults(shop):
    answer = requests.post(
        shop.url + "_sim/faults",
        json={"rules": [{"kind": "http_error", "status": 504, "count": 1, "methods": ["GET"]}]},
        timeout=10,
    )
    first, second = get(shop), get(shop)
    listed = requests.get(shop.url + "_sim/faults", timeout=10).json()["rules"]
    bad = requests.post(
        shop.url + "_sim/faults", json={"rules": [{"kind": "gremlins"}]}, timeout=10
    )

    assert answer.status_code == 200
    assert (first.status_code, second.status_code) == (504, 200)
    assert listed[0]["fired"] == 1
    assert listed[0]["methods"] == ["GET"]
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("variant", "retry_after"), [("retry_after", "7"), ("no_retry_after", None)]
)
def test_rate_limited_fault_is_a_proxy_429_with_or_without_retry_after(shop, variant, retry_after):
    shop.faults.add("rate_limited", variant=variant, seconds=6.2, count=1)
    refused = requests.patch(
        shop.api_url + "stock_availables/24", data=PATCH_24, auth=(KEY, ""), timeout=10
    )

    assert refused.status_code == 429
    assert refused.headers.get("Retry-After") == retry_after
    assert "<h1>429 Too Many Requests</h1>" in refused.text
    assert "PSWS-Version" not in refused.headers
    assert shop.quantity(24) == 0
    assert get(shop).status_code == 200
    assert shop.counters()["rate_limited"] == 1


def test_rate_limited_fault_joins_a_random_mix_by_probability(shop):
    shop.faults.seed(3)
    for kind in ("rate_limited", "http_error", "truncated"):
        shop.faults.add(kind, probability=0.2)
    statuses = [get(shop).status_code for _ in range(60)]

    assert 429 in statuses
    assert 503 in statuses
    assert shop.counters()["rate_limited"] == statuses.count(429)


def wait_until(condition, attempts=200):
    """Poll a condition (every 50 ms, at most 10 s) and say whether it became true."""
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_hung_write_lands_after_the_client_has_given_up(shop):
    shop.faults.add("hang", seconds=1.5, methods={"PATCH"}, count=1)

    with pytest.raises(requests.ReadTimeout):
        requests.patch(
            shop.api_url + "stock_availables/24", data=PATCH_24, auth=(KEY, ""), timeout=0.3
        )
    quantity_when_the_client_gave_up = shop.quantity(24)
    landed = wait_until(lambda: shop.counters()["by_request"].get("PATCH stock_availables 200"))

    assert quantity_when_the_client_gave_up == 0
    assert landed
    assert shop.quantity(24) == 40


def test_a_write_hanging_after_the_shop_worked_is_applied_before_the_answer(shop):
    shop.faults.add("hang", seconds=1.5, variant="after", methods={"PATCH"}, count=1)

    with pytest.raises(requests.ReadTimeout):
        requests.patch(
            shop.api_url + "stock_availables/24", data=PATCH_24, auth=(KEY, ""), timeout=0.3
        )

    assert shop.quantity(24) == 40
    assert shop.counters()["total"] == 0  # the answer is still on its way
