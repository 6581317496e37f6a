"""The webservice dispatcher: routing, check order of section 1.3, headers of section 3.1."""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from prestashop_sim import front, pages, reads, render_json, render_xml, writes
from prestashop_sim.auth import REALM, ApiKey, authenticate, credentials
from prestashop_sim.config import SimConfig
from prestashop_sim.errors import ProxyRefusal, WsError, did_you_mean
from prestashop_sim.resources import DESCRIPTIONS, FORBIDDEN, SERVED
from prestashop_sim.stock import ShopContext
from prestashop_sim.store import Store

# Exactly as 8.1.2 sends them: PrestaShop writes "Content-type" for XML (transcripts 02, 05).
XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json"


@dataclass
class Request:
    """An HTTP request as the server received it."""

    method: str
    target: str  # path and query string
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    host: str = "127.0.0.1"

    @property
    def path(self) -> str:
        """Path without the query string."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        """Raw query string."""
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())


@dataclass
class Response:
    """What the server writes back; `drop` closes the connection without an answer."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    drop: bool = False

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Call:
    """State of one webservice call while it runs."""

    params: dict
    json: bool
    base: str
    method: str
    url: str
    raw_method: str = "GET"
    account: ApiKey | None = None
    context: ShopContext | None = None
    ignore_filter: bool = False
    not_applied: str | None = None  # the not_applied fault's variant when it fired
    on_row: Callable[[], None] | None = None  # called after each stock row a write saves

    @property
    def segments(self) -> list[str]:
        """url split on "/": resource, id, ..."""
        return self.url.split("/")


class Webservice:
    """Answers webservice requests against a Store, as a PrestaShop of `config.ps_version`."""

    def __init__(self, store: Store, config: SimConfig, keys: dict[str, ApiKey]):
        self.store = store
        self.config = config
        self.keys = keys

    def handle(
        self, req: Request, *, ignore_filter=False, not_applied=None, on_row=None
    ) -> Response:
        """Answer one request."""
        started = time.perf_counter()
        early = self._before_dispatch(req)
        if early is not None:
            return early
        url, params = front.route(req.path, req.query)
        key = credentials(req.header("Authorization"), params)
        if key is None:
            headers = [("WWW-Authenticate", REALM), front.PHP_CONTENT_TYPE]
            return Response(401, headers, b"401 Unauthorized")
        call = Call(
            params=params,
            json=self._wants_json(req, params),
            base=f"http://{req.host}/api/",
            method=params["ps_method"] if isinstance(params.get("ps_method"), str) else req.method,
            raw_method=req.method,
            url=url,
            ignore_filter=ignore_filter,
            not_applied=not_applied,
            on_row=on_row,
        )
        extra: list[tuple[str, str]] = []
        try:
            status, body = self._run(call, key, req, extra)
            sha1 = hashlib.sha1(body, usedforsecurity=False).hexdigest() if body else None
        except front.PhpFatal:
            return Response(*front.php_fatal())
        except ProxyRefusal as refusal:
            headers = [("Content-Type", pages.HTML)]
            return Response(refusal.status, headers, pages.proxy_error(refusal.status))
        except WsError as error:
            status, sha1 = error.status, None
            body = (
                render_json.errors(error.errors) if call.json else render_xml.errors(error.errors)
            )
        return self._finish(req, call, status, body, sha1, extra, started)

    def _before_dispatch(self, req: Request) -> Response | None:
        """Answers given before the dispatcher runs: no such path, other host, no rewriting."""
        api = front.is_api_path(req.path)
        if not api and req.path != front.DISPATCHER:
            return Response(404, [("Content-Type", pages.HTML)], pages.not_found())
        redirect = front.host_redirect(self.config.shop_domain, req.host, req.path, req.query)
        if redirect is not None:
            return Response(*redirect)
        if api and not self.config.url_rewriting:
            return Response(*front.shop_not_found())
        return None

    def _wants_json(self, req: Request, params: dict) -> bool:
        for value in (req.header("Io-Format"), req.header("Output-Format")):
            if value is not None:
                return value == "JSON"
        for name in ("output_format", "io_format"):
            if name in params:
                return params[name] == "JSON"
        return False

    def _run(self, call: Call, key: str, req: Request, extra: list) -> tuple[int, bytes]:
        if not self.config.webservice_enabled:
            message = (
                "The PrestaShop webservice is disabled. "
                "Please activate it in the PrestaShop Back Office"
            )
            raise WsError(503, (22, message))
        try:
            call.account = authenticate(self.keys, key)
        except WsError:
            extra.append(("WWW-Authenticate", REALM))
            raise
        call.context = self._context(call)
        resource = call.segments[0]
        self._check_resource(call, resource)
        self._check_method(call, resource)
        return self._execute(call, resource, req)

    def _context(self, call: Call) -> ShopContext:
        layout, params = self.store.layout, call.params
        group = next(
            (params[n] for n in ("id_shop_group", "id_group_shop") if _numeric(params.get(n))),
            None,
        )
        if group is not None:
            shops = layout.active_shops(int(float(group)))
            if not shops:
                raise WsError(500, (999, "This shop group doesn't have shops"))
            context = ShopContext(frozenset(shops), layout.default_shop, int(float(group)))
        elif "id_shop" in params:
            value = params["id_shop"]
            if value == "all":
                context = ShopContext(frozenset(layout.active_shops()), layout.default_shop)
            elif _numeric(value):
                context = ShopContext(frozenset({int(float(value))}), int(float(value)))
            else:
                raise WsError(404, (999, "This shop id does not exist"))
        else:
            context = ShopContext(frozenset({layout.default_shop}), layout.default_shop)
        allowed = call.account.shops if call.account.shops is not None else set(layout.shops)
        if not context.shop_ids & set(allowed):
            raise WsError(403, (132, "No permission for this key on this shop"))
        return context

    def _check_resource(self, call: Call, resource: str) -> None:
        if resource == "":
            return
        if resource in DESCRIPTIONS:
            if resource not in call.account.permissions:
                message = (
                    f'Resource of type "{resource}" is not allowed with this authentication key'
                )
                raise WsError(401, (26, message))
            return
        label = f'Resource of type "{resource}" does not exists'
        raise did_you_mean(400, label, resource, sorted(DESCRIPTIONS), 27)

    def _check_method(self, call: Call, resource: str) -> None:
        method = call.method
        if method not in self.config.methods:
            raise WsError(405, (23, f"Method {method} is not valid"))
        if method in FORBIDDEN.get(resource, ()):
            message = f"Method {method} is not allowed for the resource {resource}"
            raise WsError(405, (101, message))
        if resource and method not in call.account.permissions.get(resource, ()):
            message = (
                f"Method {method} is not allowed for the resource {resource} "
                "with this authentication key"
            )
            raise WsError(405, (25, message))

    def _execute(self, call: Call, resource: str, req: Request) -> tuple[int, bytes]:
        if resource == "":
            if call.json and self.config.modern:
                raise front.PhpFatal  # the JSON renderer's TypeError on the index (10, 119)
            return 200, reads.api_index(self, call)
        served = SERVED.get(resource)
        if served is None:
            # A resource the simulator does not model answers as an empty shop would.
            return 200, b"[]" if call.json else render_xml.document(
                f"<{resource}>\n</{resource}>\n"
            )
        if call.method in ("GET", "HEAD"):
            segments = call.segments
            if len(segments) < 2 or segments[1] == "":
                return 200, reads.get_list(self, call, served)
            body = reads.get_single(self, call, served, segments[1])
            return (200, body) if body is not None else (404, b"")
        if call.method in ("PUT", "PATCH") and resource == "stock_availables":
            return 200, writes.save_from_body(self, call, served, self._input(call, req))
        raise WsError(
            405, (101, f"Method {call.method} is not allowed for the resource {resource}")
        )

    def _input(self, call: Call, req: Request) -> str:
        reading = ("POST", "PUT", "PATCH") if self.config.modern else ("POST", "PUT")
        if call.raw_method not in reading:
            return ""
        text = req.body.decode("utf-8", errors="replace")
        return text[4:] if text.startswith("xml=") else text

    def _finish(self, req, call, status, body, sha1, extra, started) -> Response:
        headers = list(extra)
        headers.append(("Access-Time", str(int(time.time()))))
        headers.append(("X-Powered-By", "PrestaShop Webservice"))
        version = self.config.ps_version if call.account is not None else "0"
        headers.append(("PSWS-Version", version))
        if not body:
            headers.append(("Content-Type", ""))  # PrestaShop sets it empty (22, 23)
        elif call.json:
            headers.append(("Content-Type", JSON_TYPE))
        else:
            headers.append(("Content-type", XML_TYPE))
        headers.append(("Execution-Time", f"{time.perf_counter() - started:.3f}"))
        if sha1:
            headers.append(("Content-Sha1", sha1))
            if req.header("Local-Content-Sha1") == sha1:
                # 8.x answers a real 304; 1.7 drops the body but keeps 200 (section 0).
                return Response(304 if self.config.modern else 200, headers, b"")
        return Response(status, headers, body)


def _numeric(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return value.strip() != ""
