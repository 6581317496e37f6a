"""One HTTP exchange with the webservice: auth, limiter slot, timeouts, capped body, errors.

The API key never appears in a log record or an exception message: the Basic header is not
logged by requests, and wherever a URL may carry `ws_key` the key is masked.
"""

import contextlib
import logging
import os
import re
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol
from urllib.parse import quote

import requests
from requests.auth import HTTPBasicAuth

from .address import parse_address
from .errors import RateLimited, ShopConfigError, ShopTemporaryError, UnexpectedResponse
from .failures import Reply, error_for, parse_retry_after
from .parsing import media_type, shop_errors
from .query import encode

logger = logging.getLogger("integrations.prestashop")

MAX_BODY_BYTES = 20 * 1024 * 1024
USER_AGENT = "invsync (PrestaShop stock sync)"
_WS_KEY = re.compile(r"ws_key=[^&\s\"']*")
_warned_insecure: set[str] = set()


class Limiter(Protocol):
    """The slice of integrations.ratelimit.Limiter the client uses."""

    def slot(self) -> AbstractContextManager[None]: ...

    def backoff(self, retry_after: float | None) -> None: ...


class _RedactWsKey(logging.Filter):
    """urllib3 logs request URLs at DEBUG; after the ws_key fallback they hold the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _WS_KEY.sub("ws_key=***", a) if isinstance(a, str) else a for a in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactWsKey())


class Transport:
    """Sends requests to one shop and returns 2xx replies; raises typed errors otherwise."""

    max_body_bytes = MAX_BODY_BYTES

    def __init__(self, base_url, api_key, *, timeout, verify_tls, limiter, session):
        self.address = parse_address(base_url)  # /api/... or webservice/dispatcher.php?url=
        self.root = self.address.root
        self.host = self.address.host
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.verify_tls = verify_tls
        self.limiter = limiter
        self.requests_sent = 0
        self.version: str | None = None  # PSWS-Version of the last successful reply
        self.use_ws_key = False
        self._key = api_key
        self._owns_session = session is None
        self.session = session or requests.Session()
        if self._owns_session:
            self._settle_environment()
        if not verify_tls:
            self._warn_insecure_once()

    def _settle_environment(self) -> None:
        """Read proxy and CA-bundle variables once, not on every request.

        requests re-reads them per request (about 1.5 ms each, a sizeable share of a
        full sync's client time); they do not change while a worker runs.
        """
        self.session.proxies.update(requests.utils.get_environ_proxies(self.root))
        if self.verify_tls is True:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            self.verify_tls = bundle or True
        self.session.trust_env = False

    def _warn_insecure_once(self) -> None:
        host = self.host
        if host not in _warned_insecure:
            _warned_insecure.add(host)
            logger.warning("TLS certificate checks are OFF for shop %s (test shops only)", host)

    def mask(self, text: str) -> str:
        """`text` with the API key (plain or percent-encoded) replaced by ***."""
        for form in {self._key, quote(self._key, safe="")} - {""}:
            text = text.replace(form, "***")
        return _WS_KEY.sub("ws_key=***", text)

    def key_reserve(self) -> int:
        """Request-line characters a `ws_key` parameter takes (reserved even before fallback)."""
        return len("&" + encode([("ws_key", self._key)]))

    def describe(self, method: str, path: str) -> str:
        """How messages name a request: method and URL path, never the query (ws_key)."""
        return f"{method} {self.address.target(path)}"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def send(self, method, path, *, params=(), body=None, stock_id=None) -> Reply:
        """One request (two if Basic auth is dropped by the host); a 2xx reply or an error."""
        reply = self._exchange(method, path, params, body)
        if reply.status == 401 and not self.use_ws_key and self._is_plain_401(reply):
            logger.warning(
                "The shop at %s saw no Basic credentials (plain 401); sending the key as the "
                "ws_key parameter from now on",
                self.host,
            )
            self.use_ws_key = True
            reply = self._exchange(method, path, params, body)
        if 200 <= reply.status < 300:
            return reply
        what = self.describe(method, path)
        if reply.status == 429:
            raise self._rate_limited(reply, what)
        raise error_for(reply, what=what, stock_id=stock_id, mask=self.mask)

    @staticmethod
    def _is_plain_401(reply: Reply) -> bool:
        return shop_errors(reply.body, reply.content_type) is None

    def _rate_limited(self, reply: Reply, what: str) -> RateLimited:
        retry_after = parse_retry_after(reply.headers.get("Retry-After"), now=time.time())
        if self.limiter is not None:
            self.limiter.backoff(retry_after)
        wait = "no Retry-After" if retry_after is None else f"Retry-After {retry_after:g} s"
        return RateLimited(
            f"{what}: the shop is rate limiting (HTTP 429, {wait})", retry_after=retry_after
        )

    def _exchange(self, method, path, params: Sequence[tuple[str, str]], body) -> Reply:
        params = list(params)
        if self.use_ws_key:
            params.append(("ws_key", self._key))
        url = self.address.url(path, params)
        self.requests_sent += 1
        try:
            with self._slot():
                reply = self._request(method, url, body)
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(exc, self.describe(method, path)) from None
        logger.debug("%s %s -> HTTP %s, %d bytes", method, path, reply.status, len(reply.body))
        version = reply.headers.get("PSWS-Version", "").strip()
        if 200 <= reply.status < 300 and version not in ("", "0"):
            self.version = version
        return reply

    def _slot(self) -> AbstractContextManager[None]:
        return self.limiter.slot() if self.limiter is not None else contextlib.nullcontext()

    def _request(self, method: str, url: str, body: bytes | None) -> Reply:
        headers = {"User-Agent": USER_AGENT}
        if body is not None:
            headers["Content-Type"] = "application/xml"
        response = self.session.request(
            method,
            url,
            data=body,
            headers=headers,
            auth=None if self.use_ws_key else HTTPBasicAuth(self._key, ""),
            timeout=self.timeout,
            verify=self.verify_tls,
            stream=True,
            # A redirect would turn PUT into GET and may send the key elsewhere: report it.
            allow_redirects=False,
        )
        with contextlib.closing(response):
            content = self._read_capped(response)
        return Reply(
            status=response.status_code,
            content_type=media_type(response.headers.get("Content-Type")),
            body=content,
            headers=response.headers,
        )

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise self._too_big()
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_big()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self) -> UnexpectedResponse:
        size = self.max_body_bytes
        limit = f"{size // 2**20} MB" if size >= 2**20 else f"{size} bytes"
        return UnexpectedResponse(f"the shop's reply is larger than {limit}; refused")

    def _transport_error(self, exc: Exception, what: str) -> Exception:
        reason = self.mask(f"{type(exc).__name__}: {exc}")[:300]
        host = self.host
        if isinstance(exc, requests.exceptions.Timeout):
            return ShopTemporaryError(
                f"{what}: the shop at {host} did not answer in time "
                f"(timeouts {self.timeout[0]:g} s connect, {self.timeout[1]:g} s read)"
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return ShopConfigError(
                f"{what}: the TLS certificate of {host} could not be verified ({reason})"
            )
        if isinstance(
            exc,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
            ),
        ):
            return ShopConfigError(f"{what}: the shop URL is not valid ({reason})")
        if isinstance(exc, requests.exceptions.ConnectionError):
            return ShopTemporaryError(f"{what}: cannot connect to the shop at {host} ({reason})")
        return ShopTemporaryError(f"{what}: the connection to {host} failed ({reason})")
