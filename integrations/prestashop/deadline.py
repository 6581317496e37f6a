"""An overall deadline for one HTTP exchange: connect, send and the whole body.

requests only has per-operation timeouts: a shop (or a proxy) that drips one byte every
few seconds never trips a read timeout and can hold a worker for hours. Here a watchdog
thread closes the exchange's socket when the deadline passes; the blocked read then ends at
once and the transport reports the deadline.

The socket is found through the connection classes mounted by DeadlineAdapter: every
connection registers its socket, when it connects or sends a request, with the deadline the
calling thread is working under (the socket, not the connection: http.client detaches it
from the connection when the reply says Connection: close). Without a deadline (or with
another adapter) nothing changes. Name resolution and the TLS handshake cannot be
interrupted; they are bounded by the connect timeout, and a request starting after the
deadline passed is not sent.
"""

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class DeadlinePassed(Exception):
    """A request was about to start on a connection after its deadline had passed."""


class Deadline:
    """One exchange's deadline: the sockets it uses, and whether it has passed."""

    def __init__(self):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._finished = False
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        """Watch this socket; refuse to go on if the deadline passed already."""
        with self._lock:
            if self.expired:
                raise DeadlinePassed
            if isinstance(sock, socket.socket) and sock not in self._sockets:
                self._sockets.append(sock)

    def expire(self) -> None:
        """The timer's end: shut every watched socket so blocked reads and writes return."""
        with self._lock:
            if self._finished:
                return
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    # socket.socket's own shutdown, also for an SSLSocket: its override
                    # would drop the TLS object under the thread still reading through it.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def finish(self) -> None:
        with self._lock:
            self._finished = True
            self._sockets.clear()


class _Watchdog:
    """One daemon thread that expires deadlines when they are due (a timer per request
    would cost a thread start, about 0.1-0.4 ms, on every exchange)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Deadline]] = []  # a heap
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, watch: Deadline) -> None:
        due = time.monotonic() + seconds
        with self._cond:
            heapq.heappush(self._due, (due, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="prestashop-deadlines", daemon=True
                )
                self._thread.start()
            elif self._due[0][2] is watch:
                self._cond.notify()  # due before what the thread sleeps towards

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    heapq.heappop(self._due)[2].expire()  # a finished one ignores it
                self._cond.wait(self._due[0][0] - now if self._due else None)


_watchdog = _Watchdog()


def _new_watchdog_in_child() -> None:
    global _watchdog  # a forked worker must not inherit a lock held by the parent's thread
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_new_watchdog_in_child)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Run an exchange in this thread under a deadline of `seconds` from now."""
    watch = Deadline()
    outer = getattr(_current, "deadline", None)
    _current.deadline = watch
    _watchdog.watch(seconds, watch)
    try:
        yield watch
    finally:
        watch.finish()
        _current.deadline = outer


def _register(connection: HTTPConnection) -> None:
    watch = getattr(_current, "deadline", None)
    if watch is not None:
        watch.add(connection.sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()
        _register(self)

    def request(self, *args, **kwargs) -> None:
        _register(self)  # a kept-alive connection: no connect() this time
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()
        _register(self)

    def request(self, *args, **kwargs) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections can be cut by deadline(); otherwise the same."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS managers bring their own pools
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
