"""An overall deadline for one HTTP exchange: connect, send and the whole body.

requests only has per-operation timeouts: a shop (or a proxy) that drips one byte every
few seconds never trips a read timeout and can hold a worker for hours. Here a timer closes
the exchange's socket when the deadline passes; the blocked read then ends at once and the
transport reports the deadline.

The socket is found through the connection classes mounted by DeadlineAdapter: every
connection registers itself, when it connects or sends a request, with the deadline the
calling thread is working under. Without a deadline (or with another adapter) nothing
changes. Name resolution and the TLS handshake cannot be interrupted; they are bounded by
the connect timeout, and a request starting after the deadline passed is not sent.
"""

import contextlib
import socket
import threading
from collections.abc import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class DeadlinePassed(Exception):
    """A request was about to start on a connection after its deadline had passed."""


class Deadline:
    """One exchange's deadline: the connections it uses, and whether it has passed."""

    def __init__(self):
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._finished = False
        self._lock = threading.Lock()

    def add(self, connection: HTTPConnection) -> None:
        """Watch this connection; refuse to go on if the deadline passed already."""
        with self._lock:
            if self.expired:
                raise DeadlinePassed
            if connection not in self._connections:
                self._connections.append(connection)

    def expire(self) -> None:
        """The timer's end: shut every watched socket so blocked reads and writes return."""
        with self._lock:
            if self._finished:
                return
            self.expired = True
            for connection in self._connections:
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        with self._lock:
            self._finished = True


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Run an exchange in this thread under a deadline of `seconds` from now."""
    watch = Deadline()
    timer = threading.Timer(seconds, watch.expire)
    timer.daemon = True
    outer = getattr(_current, "deadline", None)
    _current.deadline = watch
    timer.start()
    try:
        yield watch
    finally:
        watch.finish()
        timer.cancel()
        _current.deadline = outer


def _register(connection: HTTPConnection) -> None:
    watch = getattr(_current, "deadline", None)
    if watch is not None:
        watch.add(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args, **kwargs) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

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
