"""The simulated shop: webservice behind a load model, fault injection and counters."""

from dataclasses import asdict, fields

from prestashop_sim import fault_bodies
from prestashop_sim.auth import DEFAULT_KEY, ApiKey, default_keys
from prestashop_sim.config import SimConfig
from prestashop_sim.counters import Counters
from prestashop_sim.faults import Faults
from prestashop_sim.front import resource_of
from prestashop_sim.load import LoadModel
from prestashop_sim.params import parse_query
from prestashop_sim.stock import ShopContext, save_row
from prestashop_sim.store import Store
from prestashop_sim.webservice import Request, Response, Webservice


class Simulator:
    """Everything a test or benchmark needs to drive and observe one simulated shop."""

    def __init__(
        self,
        store: Store,
        *,
        config: SimConfig | None = None,
        key: str = DEFAULT_KEY,
        keys: dict[str, ApiKey] | None = None,
        faults: Faults | None = None,
        load: LoadModel | None = None,
    ):
        self.store = store
        self.config = config or SimConfig()
        self.key = key
        self.keys = keys if keys is not None else default_keys(key, modern=self.config.modern)
        self.webservice = Webservice(store, self.config, self.keys)
        self.faults = faults or Faults()
        self.load = load or LoadModel()
        self.request_counters = Counters()

    def serve(self, req: Request) -> Response:
        """Answer a webservice request through rate limit, capacity, faults and latency."""
        ps_method = parse_query(req.query).get("ps_method")
        method = ps_method if isinstance(ps_method, str) else req.method
        resource = resource_of(req.target)
        wait, delay = self.load.acquire()
        if wait is not None:
            response = self._rate_limited(wait)
        else:
            if delay > 0:
                self.load.sleep(delay)  # a leaky bucket spacing a burst (nginx without nodelay)
            with self.load.slot():
                response = self._serve_in_slot(req, method, resource)
        self.request_counters.record(method, resource, response.status)
        return response

    def _serve_in_slot(self, req: Request, method: str, resource: str) -> Response:
        fired = self.faults.draw(method, resource)
        hang = fired.get("hang")
        if hang is not None and hang.variant != "after":
            self.load.sleep(hang.seconds)  # the write, if any, lands after this: maybe too late
        replaced = fault_bodies.replacement(fired)
        if replaced is not None:
            return replaced
        delay = self.load.latency(write=method not in ("GET", "HEAD"))
        if delay > 0:
            self.load.sleep(delay)
        not_applied = fired.get("not_applied")
        response = self.webservice.handle(
            req,
            ignore_filter="ignore_filter" in fired,
            not_applied=None if not_applied is None else not_applied.variant,
            on_row=self.load.row_cost,
        )
        if hang is not None and hang.variant == "after":
            self.load.sleep(hang.seconds)  # the shop did its work; the answer comes late
        return fault_bodies.rewrite(response, fired) if fired else response

    def _rate_limited(self, wait: float) -> Response:
        return fault_bodies.too_many_requests(wait if self.load.retry_after else None)

    def configure(self, **settings) -> dict:
        """Change SimConfig fields at runtime, e.g. multi_row="refuse"; all checked first."""
        known = {f.name for f in fields(SimConfig)}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown config fields: {', '.join(sorted(unknown))}")
        SimConfig(**(asdict(self.config) | settings))  # refuses a bad value before any change
        for name, value in settings.items():
            setattr(self.config, name, value)
        return asdict(self.config)

    def counters(self) -> dict:
        """Requests by method/resource/status, hook emissions, row saves, concurrency."""
        data = self.request_counters.as_dict()
        with self.store.lock:
            data["action_update_quantity"] = len(self.store.hook_events)
            data["hook_events"] = list(self.store.hook_events)
            data["stock_row_saves"] = self.store.row_saves
        data["rate_limited"] = data["by_status"].get("429", 0)
        data["in_flight"] = self.load.in_flight
        data["max_in_flight"] = self.load.max_in_flight
        return data

    def reset_counters(self) -> None:
        """Zero request counters, hook log, row saves, max concurrency and the rate window."""
        self.request_counters.reset()
        with self.store.lock:
            self.store.hook_events.clear()
            self.store.row_saves = 0
        self.load.reset()

    def quantity(self, stock_id: int) -> int:
        """Current quantity of a stock row (KeyError if absent)."""
        with self.store.lock:
            return self.store.rows[stock_id].quantity

    def set_quantity(self, stock_id: int, quantity: int, *, recompute: bool = False) -> None:
        """Set a row's quantity as the back office would; recompute=True also sums combinations."""
        store = self.store
        with store.lock:
            row = store.rows[stock_id]
            if recompute:
                shop = row.id_shop or store.layout.default_shop
                context = ShopContext(frozenset({shop}), shop)
                save_row(store, row, {"quantity": int(quantity)}, context)
            else:
                store.update_row(row, {"quantity": int(quantity)})

    def stock_rows(self, *, ids=None, products=None) -> list[dict]:
        """Stock rows (all, or by row ids and/or product ids) as dicts, ordered by id."""
        store = self.store
        with store.lock:
            if ids is None and products is None:
                rows = list(store.rows.values())
            else:
                rows = [store.rows[i] for i in ids or () if i in store.rows]
                for pid in products or ():
                    rows.extend(store.rows_by_product.get(pid, {}).values())
            return [r.as_dict() for r in sorted({r.id: r for r in rows}.values(), key=_row_id)]

    def catalogue(self) -> list[dict]:
        """Every product and combination with reference and ean13 (and its stock row ids)."""
        store = self.store
        items = []
        with store.lock:
            for product in sorted(store.products.values(), key=_row_id):
                rows = store.rows_by_product.get(product.id, {}).values()
                for attr, ref, ean in [(0, product.reference, product.ean13)] + [
                    (c.id, c.reference, c.ean13)
                    for c in (
                        store.combinations[i] for i in store.combinations_by_product[product.id]
                    )
                ]:
                    stock_ids = sorted(r.id for r in rows if r.id_product_attribute == attr)
                    items.append(
                        {
                            "id_product": product.id,
                            "id_product_attribute": attr,
                            "reference": ref,
                            "ean13": ean,
                            "stock_ids": stock_ids,
                        }
                    )
        return items


def _row_id(entity) -> int:
    return entity.id
