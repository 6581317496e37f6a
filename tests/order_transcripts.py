"""The real 8.1.2 shop's orders transcripts, parsed: exact request bytes, the response (status,
headers, body) and the stock columns their NOTE lines give.

The files are copies of reference/prestashop-transcripts/orders (113-147, the dispatcher,
are replayed by tests/test_sim_transcripts.py). Each holds `# ...` comment lines, then the
request and the response separated by marker lines; the file format adds one newline after
the response.
"""

import json
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

FOLDER = Path(__file__).parent / "fixtures" / "prestashop_transcripts" / "orders"
_REQUEST = b"===== REQUEST (exact bytes) =====\n"
_RESPONSE = b"===== RESPONSE (exact bytes) =====\n"
_ROW = re.compile(
    r"sa#(\d+)\(p\d+/a\d+\) quantity=(-?\d+) physical_quantity=(-?\d+) reserved_quantity=(-?\d+)"
)
_AFTER = re.compile(r"AFTER[^:]*:\s*((?:sa#\d+\([^)]*\)[^;.]*(?:; )?)+)")


@dataclass
class Response:
    """A parsed HTTP response."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Transcript:
    """One recorded exchange."""

    number: int
    name: str
    note: str
    request: bytes
    response: Response | None  # None: the server closed the connection without a byte

    def stock_after(self) -> dict[int, tuple[int, int, int]]:
        """{row id: (quantity, physical, reserved)} of the NOTE's last "AFTER ..." snapshot."""
        groups = _AFTER.findall(self.note)
        if not groups:
            return {}
        return {int(i): (int(q), int(p), int(r)) for i, q, p, r in _ROW.findall(groups[-1])}


def parse_response(raw: bytes) -> Response | None:
    """Status line, headers and body of raw response bytes (None for no bytes at all)."""
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    _version, status, reason = status_line.split(" ", 2)
    headers = [tuple(line.split(": ", 1)) for line in lines]
    return Response(int(status), reason, headers, body)


def load(path: Path) -> Transcript:
    """Parse one transcript file."""
    data = path.read_bytes()
    comments, _, rest = data.partition(_REQUEST)
    request_part, _, response_part = rest.partition(_RESPONSE)
    head, _, after = request_part.partition(b"\r\n\r\n")
    length = re.search(rb"\r\nContent-Length: (\d+)", head)
    body = after[: int(length.group(1))] if length else b""
    notes = [line[8:] for line in comments.decode().splitlines() if line.startswith("# NOTE: ")]
    response = parse_response(response_part[:-1] if response_part.endswith(b"\n") else b"")
    return Transcript(
        number=int(path.name.split("-", 1)[0]),
        name=path.stem,
        note=" ".join(notes),
        request=head + b"\r\n\r\n" + body,
        response=response,
    )


def orders_transcripts() -> list[Transcript]:
    """Every copied orders transcript, in recording order (by number)."""
    paths = [p for p in FOLDER.glob("*.txt") if not 113 <= int(p.name.split("-", 1)[0]) <= 147]
    return sorted((load(p) for p in paths), key=lambda t: t.number)


def exchange(port: int, request: bytes, *, timeout: float = 10) -> Response | None:
    """Send exact bytes to 127.0.0.1:port and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return parse_response(b"".join(chunks))


def recorded_order(transcript: Transcript) -> dict:
    """Fields and order_rows of a single order answer (XML or JSON) as plain values."""
    body = transcript.response.body
    if body.startswith(b"{"):
        order = json.loads(body)["order"]
        rows = order.pop("associations", {}).get("order_rows", [])
        return {k: str(v) for k, v in order.items()} | {
            "order_rows": [{k: str(v) for k, v in row.items()} for row in rows]
        }
    element = etree.fromstring(body, etree.XMLParser(resolve_entities=False)).find("order")
    fields = {child.tag: child.text or "" for child in element if child.tag != "associations"}
    rows = element.findall("associations/order_rows/order_row")
    return fields | {"order_rows": [{c.tag: c.text or "" for c in row} for row in rows]}
