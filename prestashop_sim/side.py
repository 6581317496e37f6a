"""The side endpoint /_sim/...: counters, stock, reset, faults, config and load as JSON."""

import json
from dataclasses import asdict
from urllib.parse import parse_qsl

from prestashop_sim.simulator import Simulator
from prestashop_sim.webservice import Request, Response

JSON = [("Content-Type", "application/json")]


def handle(sim: Simulator, req: Request) -> Response:
    """Answer a /_sim/ request; errors come back as {"error": "..."}."""
    name = req.path[len("/_sim/") :].strip("/")
    handler = ROUTES.get((req.method, name))
    if handler is None:
        return _json(404, {"error": f"no side endpoint {req.method} /_sim/{name}"})
    try:
        payload = json.loads(req.body or b"{}") if req.method == "POST" else _query(req)
        return _json(200, handler(sim, payload))
    except (ValueError, KeyError, TypeError) as error:
        return _json(400, {"error": f"{type(error).__name__}: {error}"})


def _json(status: int, data) -> Response:
    return Response(status, list(JSON), json.dumps(data).encode())


def _query(req: Request) -> dict:
    """The query string percent-decoded: ids=1%2C2 is ids=1,2 (what requests sends)."""
    return dict(parse_qsl(req.query, keep_blank_values=True))


def _ints(text: str | None) -> list[int] | None:
    return None if not text else [int(x) for x in text.split(",") if x]


def _info(sim: Simulator, _payload) -> dict:
    return {
        "ps_version": sim.config.ps_version,
        "key": sim.key,
        "keys": sorted(sim.keys),
        "products": len(sim.store.products),
        "combinations": len(sim.store.combinations),
        "stock_rows": len(sim.store.rows),
    }


def _reset(sim: Simulator, payload: dict) -> dict:
    sim.reset_counters()
    if payload.get("faults"):
        sim.faults.clear()
    return sim.counters()


def _get_stock(sim: Simulator, payload: dict) -> dict:
    rows = sim.stock_rows(ids=_ints(payload.get("ids")), products=_ints(payload.get("products")))
    return {"rows": rows, "quantities": {str(r["id"]): r["quantity"] for r in rows}}


def _set_stock(sim: Simulator, payload: dict) -> dict:
    quantities = {int(k): int(v) for k, v in payload["quantities"].items()}
    for stock_id, quantity in quantities.items():
        sim.set_quantity(stock_id, quantity, recompute=bool(payload.get("recompute")))
    rows = sim.stock_rows(ids=list(quantities))
    return {"rows": rows, "quantities": {str(r["id"]): r["quantity"] for r in rows}}


def _delete_product(sim: Simulator, payload: dict) -> dict:
    ids = payload.get("ids") or [payload["id_product"]]
    return {"deleted": [int(i) for i in ids if sim.store.delete_product(int(i))]}


def _set_faults(sim: Simulator, payload: dict) -> dict:
    sim.faults.configure(payload)
    return {"rules": sim.faults.as_list()}


def _set_load(sim: Simulator, payload: dict) -> dict:
    sim.load.configure(**payload)
    return sim.load.as_dict()


ROUTES = {
    ("GET", "info"): _info,
    ("GET", "counters"): lambda sim, _p: sim.counters(),
    ("POST", "reset"): _reset,
    ("GET", "stock"): _get_stock,
    ("POST", "stock"): _set_stock,
    ("POST", "delete_product"): _delete_product,
    ("GET", "catalogue"): lambda sim, _p: {"items": sim.catalogue()},
    ("GET", "faults"): lambda sim, _p: {"rules": sim.faults.as_list()},
    ("POST", "faults"): _set_faults,
    ("GET", "config"): lambda sim, _p: asdict(sim.config),
    ("POST", "config"): lambda sim, payload: sim.configure(**payload),
    ("GET", "load"): lambda sim, _p: sim.load.as_dict(),
    ("POST", "load"): _set_load,
}
