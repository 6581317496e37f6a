"""The simulator replays every recorded exchange of a real PrestaShop 8.1.2 and answers the same.

The transcripts (tests/fixtures/prestashop_transcripts/: 01-62, and orders/113-147 on the
webservice without URL rewriting) are sent byte for byte, in recording order, to a simulator
seeded with the recording shop's catalogue; quantities carry over from one exchange to the
next, and the state each NOTE gives is checked before its request. What the recording
changed outside the webservice is done to the simulator at the same point (SETUP).
Compared: status, significant headers, and the body byte for byte (so the Content-Sha1 too).
"""

import base64
import difflib
import json

import pytest

from prestashop_sim import transcript_shop
from prestashop_sim.auth import ApiKey
from prestashop_sim.testing import run_simulator
from tests.fixtures.transcripts import (
    FOLDER,
    Answer,
    Exchange,
    exchanges,
    invsync_requests,
    note_quantities,
    send,
)

FULL_KEY = "FG3XYMA46H6BVUGU7IL6076F6LJF757P"
READ_ONLY_KEY = "FQBUSYIDZZWB2AJQLPPF39SAT6H4VXIT"
NO_PATCH_KEY = "OJ36GG121APPEK8ZVBCLVMSD5P6VV942"
SHOP = "127.0.0.1:8099"  # PS_SHOP_DOMAIN of the recording shop
GRANTED = ("combinations", "products", "shops", "stock_availables")
# What the key could also read when orders/ was recorded (orders/README.md).
ORDERS_SET_READS = (
    "orders",
    "order_details",
    "order_states",
    "order_histories",
    "configurations",
    "customers",
    "carts",
    "addresses",
    "currencies",
    "carriers",
)
SIGNIFICANT = ("PSWS-Version", "WWW-Authenticate", "Location", "Retry-After")

# Differences that cannot be avoided: transcript number -> (what is still compared, why).
# Compared: "unordered" everything, the JSON list in any order; "head" status and headers;
# "status" the status only.
KNOWN_DIFFERENCES = {
    "61": (
        "unordered",
        "MySQL returned combinations 23 before 22 for filter[id_product]=[9] (an order from the "
        "product_attribute_shop join); the simulator lists by id",
    ),
    "146": (
        "head",
        "the body is the front-office theme's 404 page; the simulator sends a short one",
    ),
    "147": (
        "status",
        "orders are simulated by the orders modules (another branch); their own conformance "
        "test compares this body",
    ),
}


def shop_keys() -> dict[str, ApiKey]:
    """The recording shop's three keys (transcripts README)."""
    every = {"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"}
    return {
        FULL_KEY: ApiKey(FULL_KEY, {r: set(every) for r in GRANTED}),
        READ_ONLY_KEY: ApiKey(READ_ONLY_KEY, {r: {"GET", "HEAD"} for r in GRANTED}),
        NO_PATCH_KEY: ApiKey(NO_PATCH_KEY, {r: {"GET", "PUT", "HEAD"} for r in GRANTED}),
    }


@pytest.fixture
def recording_shop():
    """A simulator set up as the shop of the recording: 8.1.2 on PHP 8.2, two languages."""
    with run_simulator(
        transcript_shop=True,
        ps_version="8.1.2",
        json_ints=True,
        shop_name="TestShop",
        shop_domain=SHOP,
        install_dir="/srv/ps/",
        key=FULL_KEY,
        keys=shop_keys(),
    ) as sim:
        yield sim


def send_raw(sim, request: bytes) -> Answer | None:
    """Send exact request bytes to the simulator and read its whole answer."""
    return send(sim.server.server_address[1], request)


def replay_invsync_writes(sim) -> list[str]:
    """The writes invsync made between 60 and 61 (the jsonl), sent the same way."""
    problems = []
    for entry in invsync_requests():
        if entry["method"] not in ("PUT", "PATCH") or entry["status"] != 200:
            continue
        body = entry["req_body"].encode()
        request = (
            f"{entry['method']} {entry['uri']} HTTP/1.1\r\nHost: {SHOP}\r\n"
            f"Authorization: Basic {_basic(FULL_KEY)}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        answer = send_raw(sim, request)
        if answer.status != 200:
            problems.append(f"invsync {entry['method']} {entry['uri']}: {answer.status}")
    return problems


def _basic(key: str) -> str:
    return base64.b64encode(f"{key}:".encode()).decode()


def setup_before(sim, number: str) -> list[str]:
    """What the recording changed outside the webservice before this transcript."""
    config, keys = sim.sim.config, sim.sim.keys
    if number == "40":  # NOTE: key 2 set active=0
        keys[READ_ONLY_KEY].active = False
    elif number in ("41", "44"):  # NOTE: PS_WEBSERVICE=0, then on again
        config.webservice_enabled = number == "44"
    elif number == "61":  # invsync ran; the README's C-<product>-<id> references were set
        transcript_shop.relabel_combinations(sim.store)
        return replay_invsync_writes(sim)
    elif number == "113":  # orders/README.md: the key could also read these
        for resource in ORDERS_SET_READS:
            keys[FULL_KEY].permissions[resource] = {"GET"}
    elif number == "124":  # the server without a router: /api/ is not rewritten any more
        config.url_rewriting = False
    return []


def compare(exchange: Exchange, got: Answer) -> list[str]:
    """What differs between the real answer and the simulator's."""
    want = exchange.answer
    mode = KNOWN_DIFFERENCES.get(exchange.number, ("exact", ""))[0]
    problems = []
    if got.status != want.status:
        problems.append(f"status {got.status}, the shop answered {want.status}")
    if mode == "status":
        return problems
    for name in (*SIGNIFICANT, "Content-Type"):
        if got.header(name) != want.header(name):
            problems.append(f"{name}: {got.header(name)!r}, the shop sent {want.header(name)!r}")
    if (got.header("Content-Sha1") is None) != (want.header("Content-Sha1") is None):
        problems.append("Content-Sha1 present on one side only")
    if _powered_by_webservice(got) != _powered_by_webservice(want):
        problems.append("X-Powered-By differs on whether the webservice answered")
    if mode == "head":
        return problems
    if mode == "unordered":
        if _sorted_json(got.body) != _sorted_json(want.body):
            problems.append(_diff(want.body, got.body))
    elif got.body != want.body:
        problems.append(_diff(want.body, got.body))
    return problems


def _powered_by_webservice(answer: Answer) -> bool:
    return answer.header("X-Powered-By") == "PrestaShop Webservice"


def _sorted_json(body: bytes):
    data = json.loads(body)
    return {key: sorted(items, key=lambda item: item["id"]) for key, items in data.items()}


def _diff(want: bytes, got: bytes) -> str:
    lines = difflib.unified_diff(
        want.decode("utf-8", "replace").splitlines(),
        got.decode("utf-8", "replace").splitlines(),
        "shop",
        "simulator",
        lineterm="",
        n=1,
    )
    return "body differs:\n" + "\n".join(list(lines)[:40])


def state_problems(sim, exchange: Exchange) -> tuple[list[str], int]:
    """Rows not holding what the transcript's NOTE says they held before it; rows checked."""
    problems, checked = [], 0
    for note in exchange.notes:
        for row, quantity in note_quantities(note).items():
            checked += 1
            if sim.quantity(row) != quantity:
                problems.append(f"row {row} holds {sim.quantity(row)} before, NOTE says {quantity}")
    return problems, checked


def test_every_transcript_replays_with_the_shops_answer(recording_shop):
    recorded = exchanges() + exchanges(FOLDER / "orders", numbers=range(113, 148))
    report, checked = {}, 0
    for exchange in recorded:
        problems = setup_before(recording_shop, exchange.number)
        state, rows = state_problems(recording_shop, exchange)
        checked += rows
        problems += state + compare(exchange, send_raw(recording_shop, exchange.request))
        if problems:
            report[exchange.name] = problems

    assert len(recorded) == 99  # 01-62 (33 twice, 33b) and orders/113-147
    assert checked == 52  # row quantities the NOTEs give (16-30, 45-51, 113-139)
    assert report == {}, "\n\n".join(f"{name}:\n" + "\n".join(p) for name, p in report.items())
