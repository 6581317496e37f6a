"""The client against real sockets on 127.0.0.1: the overall deadline against a dripping shop,
a 1 GiB body refused with flat memory, a certificate that fails, connections that break."""

import contextlib
import gzip
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib

import pytest

from integrations.prestashop import (
    Failure,
    PrestaShopClient,
    ShopConfigError,
    ShopTemporaryError,
    UnexpectedResponse,
)
from integrations.prestashop.transport import MAX_BODY_BYTES
from tests.test_client_helpers import (
    KEY,
    _fields_xml,
    echo_xml,
    resources_xml,
    retrying,
    stock,
    stock_json,
)

ROWS = stock_json([stock(21, 7, 0, 3)]).encode()
SPACES = b" " * 200
GIB = 2**30
DISPATCHER = "webservice/dispatcher.php"


class Scripted(socketserver.ThreadingTCPServer):
    """Answers the n-th request with scripts[n] (the last one repeats); counts body bytes."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, scripts, tls: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scripts = scripts
        self.tls = tls
        self.requests = 0
        self.sent: list[int] = []  # body bytes written per request
        self.done = threading.Semaphore(0)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}/"

    def next_script(self):
        with self.lock:
            index = self.requests
            self.requests += 1
            self.sent.append(0)
        return index, self.scripts[min(index, len(self.scripts) - 1)]


class _Handler(socketserver.StreamRequestHandler):
    def setup(self):
        if self.server.tls is not None:
            try:
                self.request = self.server.tls.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.request = None
                return
        super().setup()

    def handle(self):
        if self.request is None:
            return
        while self._read_request():
            index, script = self.server.next_script()
            try:
                keep_alive = script(self, index)
            except OSError:  # the client hung up: what a deadline or a size cap does
                keep_alive = False
            finally:
                self.server.done.release()
            if not keep_alive:
                return

    def finish(self):
        if self.request is not None:
            with contextlib.suppress(OSError):
                super().finish()

    def _read_request(self) -> bool:
        length = 0
        line = self.rfile.readline()
        if not line:
            return False
        while line not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            line = self.rfile.readline()
        self.rfile.read(length)
        return True

    def send_head(self, status="200 OK", headers=()):
        head = [f"HTTP/1.1 {status}", *headers]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode())
        self.wfile.flush()

    def send_body(self, index, data: bytes):
        self.wfile.write(data)
        self.wfile.flush()
        self.server.sent[index] += len(data)


def reply(body=ROWS, content_type="application/json", headers=()):
    def script(handler, index):
        length = f"Content-Length: {len(body)}"
        handler.send_head(headers=[f"Content-Type: {content_type}", length, *headers])
        handler.send_body(index, body)
        return True

    return script


def drip(body: bytes, every: float, *, declared=True):
    """A 200 whose body comes one byte every `every` seconds (each gap under the read timeout)."""

    def script(handler, index):
        headers = ["Content-Type: application/json"]
        headers.append(f"Content-Length: {len(body)}" if declared else "Connection: close")
        handler.send_head(headers=headers)
        for byte in body:
            time.sleep(every)
            handler.send_body(index, bytes([byte]))
        return False

    return script


def drip_headers(every):
    def script(handler, index):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(200):
            handler.wfile.write(b"X")
            handler.wfile.flush()
            time.sleep(every)
        return False

    return script


def endless(chunk: bytes, *, encoding=None, limit=GIB):
    """A chunked body of up to `limit` bytes (decoded), made as it is sent, never held."""

    def script(handler, index):
        headers = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        if encoding:
            headers.append(f"Content-Encoding: {encoding}")
        handler.send_head(headers=headers)
        packer = zlib.compressobj(wbits=31) if encoding == "gzip" else None
        for _ in range(limit // len(chunk)):
            data = packer.compress(chunk) if packer else chunk
            if data:
                handler.send_body(index, b"%x\r\n%s\r\n" % (len(data), data))
        return False

    return script


def hang_up(handler, index):
    """Read the request, then close without a word (a crashed PHP worker behind a proxy)."""
    return False


@pytest.fixture
def serve():
    """Start a Scripted server; every server is stopped at teardown."""
    with contextlib.ExitStack() as stack:

        def serve(*scripts, tls=None):
            server = Scripted(list(scripts), tls)
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            return server

        yield serve


def connect(server, path="", **options) -> PrestaShopClient:
    """A client for the server; `path` "webservice/dispatcher.php" for the form without URL
    rewriting (the server answers whatever the path)."""
    options.setdefault("retry", retrying([], temporary_retries=0))
    return PrestaShopClient(server.url + path, KEY, **options)


def finished(server, count=1):
    """Wait until the server is done with `count` requests (so its counts are final)."""
    for _ in range(count):
        assert server.done.acquire(timeout=10)
    return server


# -- the overall deadline --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", DISPATCHER], ids=["api", "dispatcher"])
def test_a_body_dripping_under_the_read_timeout_is_cut_at_the_deadline(serve, path):
    server = serve(drip(SPACES, every=0.05))

    with pytest.raises(ShopTemporaryError, match=r"within the 0\.4 s deadline") as caught:
        connect(server, path, timeout=(1.0, 0.5), deadline=0.4).fetch_stock([7])

    assert (caught.value.kind, caught.value.answer_lost) == (Failure.DEADLINE, True)
    assert finished(server).sent[0] < len(SPACES)


def test_without_a_short_deadline_the_read_timeout_alone_lets_a_drip_through(serve):
    # The fault the deadline exists for: 9 gaps of 0.1 s take longer than the 0.5 s read
    # timeout, yet no single read waits that long, so the read timeout never fires.
    body = b" " * 7 + b"[]"
    server = serve(drip(body, every=0.1))

    read = connect(server, timeout=(1.0, 0.5), deadline=30).fetch_stock([7])

    assert read.rows == {}
    assert finished(server).sent == [len(body)]


def test_headers_dripping_are_cut_at_the_deadline_too(serve):
    server = serve(drip_headers(every=0.05))

    with pytest.raises(ShopTemporaryError) as caught:
        connect(server, timeout=(1.0, 0.5), deadline=0.3).fetch_stock([7])

    assert caught.value.kind == Failure.DEADLINE
    assert finished(server).requests == 1


def test_a_body_without_a_length_cut_at_the_deadline_is_not_taken_as_complete(serve):
    server = serve(drip(SPACES, every=0.05, declared=False))

    with pytest.raises(ShopTemporaryError) as caught:
        connect(server, timeout=(1.0, 0.5), deadline=0.3).fetch_stock([7])

    assert caught.value.kind == Failure.DEADLINE


def test_a_write_cut_at_the_deadline_is_retried_and_its_row_reported_uncertain(serve):
    api = reply(resources_xml({}).encode(), "text/xml", ["PSWS-Version: 1.7.8.11"])
    echo = reply(echo_xml(stock(24, 8, 0, 40)).encode(), "text/xml")
    server = serve(api, drip(SPACES, every=0.05), echo)
    client = connect(server, timeout=(1.0, 0.5), deadline=0.3, retry=retrying([]))

    written = client.write_quantity(stock(24, 8, 0, 0), 40)  # a PUT on 1.7

    assert written.quantity == 40
    assert client.uncertain_rows == {24}
    assert finished(server, 3).requests == 3


def test_a_multi_row_write_cut_at_the_deadline_is_retried_and_its_rows_reported_uncertain(
    serve,
):
    rows = [stock(24, 8, 0, 40), stock(25, 9, 0, 50)]
    api = reply(resources_xml({}).encode(), "text/xml", ["PSWS-Version: 8.1.7"])
    echo = reply(echo_rows_xml(rows).encode(), "text/xml")
    server = serve(api, drip(SPACES, every=0.05), echo)
    client = connect(server, DISPATCHER, timeout=(1.0, 0.5), deadline=0.3, retry=retrying([]))

    result = client.write_quantities([(stock(24, 8, 0, 0), 40), (stock(25, 9, 0, 0), 50)])

    assert (result.method, set(result.written)) == ("PATCH", {24, 25})
    assert client.uncertain_rows == {24, 25}
    assert finished(server, 3).requests == 3


def echo_rows_xml(rows) -> str:
    """A multi-row write's answer: every saved row directly under <prestashop>."""
    entities = "".join(f"<stock_available>\n{_fields_xml(r)}</stock_available>\n" for r in rows)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<prestashop>\n{entities}</prestashop>\n'


def test_the_default_deadline_is_connect_plus_twice_the_read_timeout(serve):
    client = connect(serve(reply()), timeout=(3.0, 20.0))

    assert client._transport.deadline == 43.0
    with pytest.raises(ValueError, match="positive"):
        PrestaShopClient("http://127.0.0.1:9/", KEY, deadline=0)


# -- huge bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(endless(b"[" * 65536), id="plain-1-gib"),
        pytest.param(endless(b"\0" * 2**20, encoding="gzip"), id="gzip-1-gib-bomb"),
    ],
)
def test_a_1_gib_body_is_refused_after_the_cap_with_flat_memory(serve, script):
    server = serve(script)
    tracemalloc.start()
    try:
        with pytest.raises(UnexpectedResponse, match="larger than 20 MB") as caught:
            connect(server).fetch_stock([7])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert caught.value.kind == Failure.TOO_LARGE
    assert peak < 2 * MAX_BODY_BYTES  # never more than the cap and one chunk in memory
    assert finished(server).sent[0] < GIB // 16  # the shop was not read to the end


# -- TLS and connections -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A server TLS context with a certificate no client trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_a_certificate_that_fails_verification_is_a_config_error_and_not_retried(
    serve, self_signed
):
    server = serve(reply(), tls=self_signed)
    sleeps = []

    with pytest.raises(ShopConfigError, match=r"TLS certificate of 127\.0\.0\.1") as caught:
        connect(server, retry=retrying(sleeps)).fetch_stock([7])

    assert caught.value.kind == Failure.TLS_CERTIFICATE
    assert (sleeps, server.requests) == ([], 0)


def test_a_closed_port_is_a_connection_error_with_nothing_sent():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused

        with pytest.raises(ShopTemporaryError, match="cannot connect") as caught:
            PrestaShopClient(f"http://127.0.0.1:{port}/", KEY, retry=retrying([])).fetch_row(1)

    assert (caught.value.kind, caught.value.answer_lost) == (Failure.CONNECTION, False)
    assert caught.value.attempts == 4  # retried: the shop may be restarting


def test_a_connection_closed_after_the_request_loses_the_answer_then_the_retry_reads(serve):
    server = serve(hang_up, reply())

    read = connect(server, retry=retrying([])).fetch_stock([7])

    assert read.rows[(7, 0)].quantity == 3
    assert finished(server, 2).requests == 2


def test_a_gzip_reply_within_the_cap_is_read(serve):
    body = gzip.compress(json.dumps({"stock_availables": []}).encode())

    def script(handler, index):
        handler.send_head(
            headers=[
                "Content-Type: application/json",
                "Content-Encoding: gzip",
                f"Content-Length: {len(body)}",
            ]
        )
        handler.send_body(index, body)
        return True

    read = connect(serve(script)).fetch_stock([7])

    assert read.rows == {}
