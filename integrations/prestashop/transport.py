"""One HTTP call to the webservice: auth, limiter slot, timeouts and an overall deadline,
capped body, parsing, typed errors, and retries of temporary failures.

The API key never appears in a log record or an exception message: the Basic header is not
logged by requests, and wherever a URL may carry `ws_key` the key is masked.
"""

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Protocol
from urllib.parse import quote

import requests
from requests.auth import HTTPBasicAuth

from .address import parse_address
from .deadline import DeadlineAdapter, DeadlinePassed, deadline
from .errors import Failure, PrestaShopError, RateLimited, UnexpectedResponse
from .failures import Reply, error_for, exception_error, parse_retry_after
from .parsing import media_type, parse_body, shop_errors
from .query import encode
from .retry import Retries, RetryPolicy

logger = logging.getLogger("integrations.prestashop")

MAX_BODY_BYTES = 20 * 1024 * 1024
USER_AGENT = "invsync (PrestaShop stock sync)"
SAFE_METHODS = frozenset({"GET", "HEAD"})
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


def default_deadline(timeout: tuple[float, float]) -> float:
    """The overall deadline when none is given: connect, plus twice the read timeout."""
    return timeout[0] + 2 * timeout[1]


class Transport:
    """Sends requests to one shop and returns parsed 2xx replies; raises typed errors otherwise.

    A temporary failure retries that one request under `retry` (a RetryPolicy). When a write
    loses its answer (a timeout, a connection broken after sending, a gateway error), the
    stock rows it writes go into `uncertain`, retried or not: the first attempt may still
    land late and overwrite a newer value, so the caller must read those rows again later.
    """

    max_body_bytes = MAX_BODY_BYTES

    def __init__(
        self,
        base_url,
        api_key,
        *,
        timeout,
        verify_tls,
        limiter,
        session,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
    ):
        self.address = parse_address(base_url)  # /api/... or webservice/dispatcher.php?url=
        self.root = self.address.root
        self.host = self.address.host
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.deadline = default_deadline(self.timeout) if deadline is None else float(deadline)
        if not self.deadline > 0:
            raise ValueError("the deadline must be a positive number of seconds")
        self.retry = RetryPolicy() if retry is None else retry
        self.verify_tls = verify_tls
        self.limiter = limiter
        self.requests_sent = 0
        self.uncertain: set[int] = set()  # stock row ids whose write may still land
        self.version: str | None = None  # PSWS-Version of the last successful reply
        self.use_ws_key = False
        self._key = api_key
        self._owns_session = session is None
        self.session = session or requests.Session()
        if self._owns_session:
            self._settle_environment()
        self._mount_deadline_adapter()
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

    def _mount_deadline_adapter(self) -> None:
        """Requests to the shop's origin go through an adapter the deadline can cut short,
        whichever form its address has (/api/ or webservice/dispatcher.php)."""
        origin = self.address.origin + "/"
        if not isinstance(self.session.get_adapter(origin), DeadlineAdapter):
            self.session.mount(origin, DeadlineAdapter())

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

    def send(
        self, method, path, *, params=(), body=None, stock_id=None, rows: Iterable[int] = ()
    ) -> Reply:
        """A 2xx reply with its body parsed (`document`), or a typed error after the retries.

        `stock_id`: the row a single-row request is about (404 means that row is gone);
        `rows`: the stock rows a write changes, added to `uncertain` if its answer is lost
        (`stock_id` counts as one of them).
        """
        retries = Retries(self.retry)
        written = {*rows, *([] if stock_id is None else [stock_id])}
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, path, params, body, stock_id)
            except PrestaShopError as error:
                error.attempts = attempt
                if error.answer_lost and method not in SAFE_METHODS:
                    self.uncertain |= written
                wait = retries.wait_before_next(error)
                if wait is None:
                    raise
                if self._limiter_waits(error):
                    logger.warning("%s; retry %d when the rate limiter allows", error, attempt)
                    continue
                logger.warning("%s; retry %d in %.1f s", error, attempt, wait)
                self.retry.sleep(wait)

    def _limiter_waits(self, error: PrestaShopError) -> bool:
        """Whether the limiter, not a fixed delay, decides when to retry after this error.

        A 429 without Retry-After leaves the wait to a guess: the limiter has paused every
        worker for as long as it judged right (a leaky bucket drains in seconds, a window
        host gets longer pauses while its 429s go on), and the retry's slot waits for it.
        """
        return (
            self.limiter is not None
            and error.kind is Failure.RATE_LIMITED
            and error.retry_after is None
        )

    def _attempt(self, method, path, params, body, stock_id) -> Reply:
        """One request (two if Basic auth is dropped by the host), classified and parsed."""
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
            return replace(reply, document=parse_body(reply.body, reply.content_type))
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
        with self._slot():
            # Counted once the limiter lets it go: a request refused or cancelled while it
            # waited for its slot never reached the shop.
            self.requests_sent += 1
            reply = self._request(method, path, url, body)
        logger.debug("%s %s -> HTTP %s, %d bytes", method, path, reply.status, len(reply.body))
        version = reply.headers.get("PSWS-Version", "").strip()
        if 200 <= reply.status < 300 and version not in ("", "0"):
            self.version = version
        return reply

    def _slot(self) -> AbstractContextManager[None]:
        return self.limiter.slot() if self.limiter is not None else contextlib.nullcontext()

    def _request(self, method: str, path: str, url: str, body: bytes | None) -> Reply:
        with deadline(self.deadline) as watch:
            try:
                response = self._open(method, url, body)
                with contextlib.closing(response):
                    content = self._read_capped(response)
            except (requests.exceptions.RequestException, DeadlinePassed) as exc:
                raise self._failed(exc, method, path, expired=watch.expired) from None
            if watch.expired:  # a body without a length just ends where the socket was cut
                raise self._failed(None, method, path, expired=True)
        return Reply(
            status=response.status_code,
            content_type=media_type(response.headers.get("Content-Type")),
            body=content,
            headers=response.headers,
        )

    def _open(self, method: str, url: str, body: bytes | None) -> requests.Response:
        headers = {"User-Agent": USER_AGENT}
        if body is not None:
            headers["Content-Type"] = "application/xml"
        return self.session.request(
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
        return UnexpectedResponse(
            f"the shop's reply is larger than {limit}; refused", kind=Failure.TOO_LARGE
        )

    def _failed(self, exc, method: str, path: str, *, expired: bool) -> PrestaShopError:
        return exception_error(
            exc,
            what=self.describe(method, path),
            host=self.host,
            timeout=self.timeout,
            deadline=self.deadline,
            expired=expired,
            mask=self.mask,
        )
