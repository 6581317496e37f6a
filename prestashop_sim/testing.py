"""Start the simulator for tests and benchmarks: in a thread (in-process) or as a process."""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, fields

import requests

from prestashop_sim import catalogue, order_setup, order_side
from prestashop_sim import transcript_shop as transcript_catalogue
from prestashop_sim.auth import DEFAULT_KEY, DISABLED_KEY, NO_PERMISSION_KEY, READ_ONLY_KEY
from prestashop_sim.config import SimConfig
from prestashop_sim.faults import Faults
from prestashop_sim.load import SETTINGS as LOAD_SETTINGS
from prestashop_sim.load import LoadModel
from prestashop_sim.order_helpers import OrderHelpers
from prestashop_sim.recorded_shop import recorded_items, seed_recorded_orders
from prestashop_sim.server import SimServer
from prestashop_sim.shops import ShopLayout
from prestashop_sim.simulator import Simulator
from prestashop_sim.store import Store


def build_simulator(
    *,
    products: int = 0,
    combination_share: float = 0.2,
    seed: int = 1,
    items: list | None = None,
    section9: bool = False,
    transcript_shop: bool = False,
    ps_version: str = "8.1.7",
    key: str = DEFAULT_KEY,
    keys: dict | None = None,
    layout: ShopLayout | dict | None = None,
    recorded_shop: bool = False,
    read_orders: bool = False,
    timezone: str = order_setup.DEFAULT_TIMEZONE,
    order_states: list[dict] | None = None,
    initial_order_state: int | None = None,
    faults: list[dict] | None = None,
    **settings,
) -> Simulator:
    """A Simulator with a generated and/or explicit catalogue (see run_simulator).

    Other keyword arguments are SimConfig fields (json_ints, shop_domain, multi_row,
    php_warnings, ...) or load settings (read_latency, rate_limit, ...).
    Orders: recorded_shop loads the recorded 8.1.2 shop's products and orders 1-5;
    read_orders lets the keys GET the order-side resources; order_states is a spec of
    prestashop_sim.order_states (None: the recorded shop's ids 1-13).
    """
    if isinstance(layout, dict):
        layout = ShopLayout.from_spec(layout)
    languages = transcript_catalogue.LANGUAGES if transcript_shop else (1,)
    store = Store(layout, languages=languages)
    if transcript_shop:
        catalogue.load(store, transcript_catalogue.items())
    if recorded_shop:
        catalogue.load(store, recorded_items())
    if section9:
        catalogue.load(store, catalogue.section9_items())
    if items:
        catalogue.load(store, items)
    if products:
        catalogue.load(
            store, catalogue.generate(products, combination_share=combination_share, seed=seed)
        )
    config_fields = {f.name for f in fields(SimConfig)}
    config = SimConfig(ps_version, **{k: v for k, v in settings.items() if k in config_fields})
    load = LoadModel(seed=seed, **{k: v for k, v in settings.items() if k not in config_fields})
    sim = Simulator(store, config=config, key=key, keys=keys, faults=Faults(seed), load=load)
    sim.faults.configure({"rules": faults or []})
    order_setup.install(
        store, timezone=timezone, states=order_states, initial_state=initial_order_state, seed=seed
    )
    if recorded_shop:
        seed_recorded_orders(store)
    if read_orders:
        order_setup.grant_order_reads(sim.keys)
    return sim


class SimHandle(OrderHelpers):
    """A running in-process simulator."""

    read_only_key = READ_ONLY_KEY
    disabled_key = DISABLED_KEY
    no_permission_key = NO_PERMISSION_KEY

    def __init__(self, sim: Simulator, server: SimServer):
        self.sim = sim
        self.server = server
        self.url = server.url  # "http://127.0.0.1:PORT/"
        self.api_url = self.url + "api/"
        self.key = sim.key

    store = property(lambda self: self.sim.store)
    faults = property(lambda self: self.sim.faults)
    load = property(lambda self: self.sim.load)
    config = property(lambda self: self.sim.config)

    def counters(self) -> dict:
        """Request counters, hook emissions and concurrency gauges (see Simulator.counters)."""
        return self.sim.counters()

    def reset_counters(self) -> None:
        """Zero the counters, hook log, max concurrency and the rate window."""
        self.sim.reset_counters()

    def quantity(self, stock_id: int) -> int:
        """Current quantity of a stock row."""
        return self.sim.quantity(stock_id)

    def set_quantity(self, stock_id: int, quantity: int, *, recompute: bool = False) -> None:
        """Set a row's quantity directly (recompute=True also updates the product row)."""
        self.sim.set_quantity(stock_id, quantity, recompute=recompute)

    def stock_rows(self, *, ids=None, products=None) -> list[dict]:
        """Stock rows as dicts."""
        return self.sim.stock_rows(ids=ids, products=products)

    def catalogue(self) -> list[dict]:
        """Products and combinations with reference, ean13 and stock row ids."""
        return self.sim.catalogue()

    def delete_product(self, product_id: int) -> bool:
        """Emulate a product deleted in the shop's back office."""
        return self.sim.store.delete_product(product_id)

    def _order_call(self, method: str, name: str, payload: dict) -> dict:
        return order_side.ROUTES[(method, name)](self.sim, payload)

    def set_config(self, **settings) -> dict:
        """Change the shop's SimConfig fields at runtime, e.g. multi_row="refuse"."""
        return self.sim.configure(**settings)


@contextlib.contextmanager
def run_simulator(*, host: str = "127.0.0.1", port: int = 0, **options) -> Iterator[SimHandle]:
    """Serve a simulator (options of build_simulator) on host:port (0 = free) in a thread."""
    sim = build_simulator(**options)
    server = SimServer((host, port), sim)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="prestashop-sim",
        daemon=True,
    )
    thread.start()
    try:
        yield SimHandle(sim, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class ProcessHandle(OrderHelpers):
    """A simulator running as a separate process, driven through /_sim/."""

    read_only_key = READ_ONLY_KEY
    disabled_key = DISABLED_KEY
    no_permission_key = NO_PERMISSION_KEY

    def __init__(self, process: subprocess.Popen, url: str, key: str):
        self.process = process
        self.url = url
        self.api_url = url + "api/"
        self.key = key
        self._http = requests.Session()

    def _side(self, method: str, name: str, payload=None, params=None):
        response = self._http.request(
            method, f"{self.url}_sim/{name}", json=payload, params=params, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def counters(self) -> dict:
        """GET /_sim/counters."""
        return self._side("GET", "counters")

    def reset_counters(self, *, faults: bool = False) -> dict:
        """POST /_sim/reset."""
        return self._side("POST", "reset", {"faults": faults})

    def quantity(self, stock_id: int) -> int:
        """Current quantity of a stock row."""
        return self._side("GET", "stock", params={"ids": str(stock_id)})["quantities"][
            str(stock_id)
        ]

    def set_quantity(self, stock_id: int, quantity: int, *, recompute: bool = False) -> None:
        """POST /_sim/stock."""
        self._side(
            "POST", "stock", {"quantities": {str(stock_id): quantity}, "recompute": recompute}
        )

    def stock_rows(self, *, ids=None, products=None) -> list[dict]:
        """GET /_sim/stock."""
        params = {k: ",".join(map(str, v)) for k, v in (("ids", ids), ("products", products)) if v}
        return self._side("GET", "stock", params=params)["rows"]

    def catalogue(self) -> list[dict]:
        """GET /_sim/catalogue."""
        return self._side("GET", "catalogue")["items"]

    def delete_product(self, product_id: int) -> bool:
        """POST /_sim/delete_product."""
        return product_id in self._side("POST", "delete_product", {"ids": [product_id]})["deleted"]

    def set_faults(self, rules: list[dict], *, seed: int | None = None) -> list[dict]:
        """Replace the fault rules (POST /_sim/faults)."""
        payload = {"rules": rules} | ({"seed": seed} if seed is not None else {})
        return self._side("POST", "faults", payload)["rules"]

    def set_load(self, **settings) -> dict:
        """Change the load model (POST /_sim/load)."""
        return self._side("POST", "load", settings)

    def _order_call(self, method: str, name: str, payload: dict) -> dict:
        """Like SimHandle: an order the shop refuses raises ValueError with the reason."""
        body, params = (None, payload) if method == "GET" else (payload, None)
        response = self._http.request(
            method, f"{self.url}_sim/{name}", json=body, params=params, timeout=10
        )
        if response.status_code == 400:
            raise ValueError(response.json()["error"])
        response.raise_for_status()
        return response.json()

    def set_config(self, **settings) -> dict:
        """Change the shop's SimConfig fields, e.g. multi_row="refuse" (POST /_sim/config)."""
        return self._side("POST", "config", settings)


def simulator_command(**options) -> list[str]:
    """The `python -m prestashop_sim` command line for build_simulator-style options."""
    command = [sys.executable, "-m", "prestashop_sim", "--port", str(options.pop("port", 0))]
    flags = (
        "section9", "json_ints", "transcript_shop", "rate_nodelay",
        "php_warnings", "recorded_shop", "read_orders",
    )  # fmt: skip
    negated = {
        "retry_after": "--no-retry-after",
        "webservice_enabled": "--webservice-disabled",
        "url_rewriting": "--no-url-rewriting",
    }
    for name, value in options.items():
        if name in flags:
            command += ["--" + name.replace("_", "-")] if value else []
        elif name in negated:
            command += [] if value else [negated[name]]
        elif name in ("layout", "faults", "order_states"):
            option = {"layout": "--shop-layout", "faults": "--faults"}.get(name, "--order-states")
            command += [option, json.dumps(value)] if value is not None else []
        elif name == "items":
            command += ["--catalogue-file", _items_file(value)]
        elif value is not None:
            command += ["--" + name.replace("_", "-"), str(value)]
    return command


def _items_file(items: list) -> str:
    data = [item if isinstance(item, dict) else asdict(item) for item in items]
    handle, path = tempfile.mkstemp(prefix="prestashop-sim-", suffix=".json")
    with os.fdopen(handle, "w") as file:
        json.dump(data, file)
    return path


@contextlib.contextmanager
def run_simulator_process(*, timeout: float = 30.0, **options) -> Iterator[ProcessHandle]:
    """Start `python -m prestashop_sim` and wait until it answers; stop it afterwards.

    The catalogue file written for ``items=`` is removed when the simulator stops.
    """
    command = simulator_command(**options)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        url, key = _read_banner(process, timeout)
        handle = ProcessHandle(process, url, key)
        _wait_until_up(handle, timeout)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        if "items" in options:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(command[command.index("--catalogue-file") + 1])


def _read_banner(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator exited early with code {process.poll()}")
        if line.startswith("URL "):
            url = line.split()[1]
            key = process.stdout.readline().split()[1]
            return url, key
    raise RuntimeError("simulator did not print its URL in time")


def _wait_until_up(handle: ProcessHandle, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            handle._side("GET", "info")
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


__all__ = [
    "LOAD_SETTINGS",
    "ProcessHandle",
    "SimConfig",
    "SimHandle",
    "build_simulator",
    "run_simulator",
    "run_simulator_process",
]
