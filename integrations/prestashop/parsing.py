"""Turning webservice reply bodies into Python values, refusing anything the webservice would
not send (HTML pages, broken or cut-off XML, PHP output before the reply, entity tricks).

JSON quirks handled here (reference §3.3): numbers come as strings or as ints depending on
the PHP version; an empty list is the bare body ``[]``; a single object drops every falsy
field ("0", "", null), so a missing field there means 0 or "". XML keeps every field.

Limits: the transport caps the body's size for both formats; libxml2 (no huge_tree) stops
at 256 levels and 10 MB text nodes; JSON deeper than MAX_DEPTH or with more than MAX_VALUES
values is refused before it is decoded (a deep shape that slips through still ends as the
same error, not a RecursionError). XML with a DOCTYPE is refused by a parser before a single
declaration is read, and entities are never expanded.
"""

import json
import re
from typing import Any
from xml.parsers import expat

from lxml import etree

from .errors import Failure, UnexpectedResponse
from .records import STOCK_FIELDS, StockRow

XML_TYPES = frozenset({"text/xml", "application/xml"})
JSON_TYPES = frozenset({"application/json"})
SNIPPET = 80
MAX_DEPTH = 64  # a webservice reply nests about 6 deep
MAX_VALUES = 500_000  # a page of 1,000 stock rows holds about 20,000

_XML_START = re.compile(rb"<\?xml|<prestashop[\s>/]")
_JSON_START = re.compile(rb"[{\[]")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_DEEP_RUN = re.compile(rb"[\[{]{%d}" % (MAX_DEPTH + 1))
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")
_INT = re.compile(r"\s*-?\d+\s*")


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header, lowercased ("" when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def snippet(body: bytes, limit: int = SNIPPET) -> str:
    """A short, printable piece of a body for error messages: an HTML title or its start."""
    title = _TITLE.search(body)
    raw = title.group(1) if title else _TAG.sub(b" ", body)
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text[:limit]


def parse_body(body: bytes, content_type: str | None) -> Any:
    """The reply as an lxml root element (XML) or a Python value (JSON); else UnexpectedResponse."""
    if not body.strip():
        raise UnexpectedResponse(
            "the shop sent an empty reply where data was expected", kind=Failure.BROKEN_BODY
        )
    kind = media_type(content_type)
    if kind in XML_TYPES:
        _refuse_doctype(body)  # before the junk check, which would take a DTD for junk
    _refuse_junk_prefix(body, kind)
    if kind in JSON_TYPES:
        return _parse_json(body)
    if kind in XML_TYPES:
        return parse_xml(body)
    if kind == "text/html":
        raise UnexpectedResponse(
            f"the shop answered with an HTML page instead of webservice data: {snippet(body)!r}",
            kind=Failure.NOT_WEBSERVICE,
        )
    raise UnexpectedResponse(
        f"the shop answered with content type {kind or 'none'!r}, not XML or JSON: "
        f"{snippet(body)!r}",
        kind=Failure.NOT_WEBSERVICE,
    )


def _refuse_junk_prefix(body: bytes, kind: str) -> None:
    # A module's echo or a PHP notice printed before the XML (reference §3.1; the dispatcher
    # then sends application/javascript). The data after it may look intact, but a shop that
    # leaks output is misbehaving: do not trust it.
    if kind == "text/html":
        return
    if kind in JSON_TYPES:
        patterns = (_JSON_START,)
    elif kind in XML_TYPES:
        patterns = (_XML_START,)
    else:
        patterns = (_XML_START, _JSON_START)
    start = next(filter(None, (p.search(body) for p in patterns)), None)
    if start is None or not body[: start.start()].strip(b" \t\r\n\xef\xbb\xbf"):
        return
    junk = body[: start.start()].decode("utf-8", "replace").strip()[:SNIPPET]
    raise UnexpectedResponse(
        f"the shop printed something before its reply (PHP output from a module or a PHP "
        f"notice?), so the reply was not used: {junk!r}",
        kind=Failure.NOT_WEBSERVICE,
    )


def _parse_json(body: bytes) -> Any:
    _refuse_deep_json(body)
    try:
        return json.loads(body.decode("utf-8"))
    except RecursionError:  # nested deeper than Python's stack allows, in another shape
        raise _too_deep() from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnexpectedResponse(
            f"the shop's JSON is broken or cut off: {exc}", kind=Failure.BROKEN_BODY
        ) from None


def _refuse_deep_json(body: bytes) -> None:
    """Refuse JSON deeper than MAX_DEPTH in a row, or with more than MAX_VALUES values.

    With every character but brackets dropped, a run of openers is a stretch where the
    depth only grows. Strings may hold brackets and commas: the value count includes them
    (a safe bound: a real page is far below it), and a run of openers is confirmed outside
    strings before it is refused. C loops only; the string pass runs for suspects alone.
    """
    if sum(map(body.count, (b",", b"[", b"{"))) > MAX_VALUES:
        raise UnexpectedResponse(
            f"the shop's JSON holds more than {MAX_VALUES} values; refused",
            kind=Failure.OVER_LIMITS,
        )
    if _DEEP_RUN.search(body.translate(None, _NOT_BRACKETS)):
        outside_strings = _JSON_STRING.sub(b"", body)
        if _DEEP_RUN.search(outside_strings.translate(None, _NOT_BRACKETS)):
            raise _too_deep()


def _too_deep() -> UnexpectedResponse:
    return UnexpectedResponse(
        f"the shop's JSON is nested deeper than {MAX_DEPTH} levels; refused",
        kind=Failure.OVER_LIMITS,
    )


def parse_xml(body: bytes) -> etree._Element:
    """Parse XML with no DTD, no entities and no network; any DOCTYPE is refused."""
    _refuse_doctype(body)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        over = exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT  # depth 256, amplification
        kind = Failure.OVER_LIMITS if over else Failure.BROKEN_BODY
        raise UnexpectedResponse(f"the shop's XML is broken or cut off: {exc}", kind=kind) from None
    if root.getroottree().docinfo.doctype:  # a prolog expat could not read (odd encoding)
        raise UnexpectedResponse(
            "the shop's XML declares a DTD or entities; refused", kind=Failure.DOCTYPE
        )
    if root.tag != "prestashop":
        raise UnexpectedResponse(
            f"the shop's XML has root <{root.tag}>, not <prestashop>", kind=Failure.NOT_WEBSERVICE
        )
    return root


def _refuse_doctype(body: bytes) -> None:
    if _declares_doctype(body):
        raise UnexpectedResponse(
            "the shop's XML declares a DTD or entities; refused", kind=Failure.DOCTYPE
        )


class _PrologRead(Exception):
    """Stops expat at the DOCTYPE or at the root element, whichever comes first."""

    def __init__(self, doctype: bool):
        super().__init__()
        self.doctype = doctype


def _declares_doctype(body: bytes) -> bool:
    """Whether an XML parser reading the prolog meets a DOCTYPE before the root element.

    Expat stops at the DOCTYPE's name, before any declaration in it, so entity bombs and
    external entities are never read; comments and processing instructions are read as the
    XML they are (a regex on the prolog could be fooled by one).
    """

    def stop(doctype: bool):
        def handler(*_args):
            raise _PrologRead(doctype)

        return handler

    reader = expat.ParserCreate()
    reader.StartDoctypeDeclHandler = stop(True)
    reader.StartElementHandler = stop(False)
    try:
        reader.Parse(body, True)
    except _PrologRead as read:
        return read.doctype
    except expat.ExpatError:
        pass  # broken XML: lxml says how
    return False


def shop_errors(body: bytes, content_type: str | None) -> list[tuple[int, str]] | None:
    """The (code, message) entries of a PrestaShop error body; None if it is not one."""
    try:
        document = parse_body(body, content_type)
    except UnexpectedResponse:
        return None
    if isinstance(document, dict) and isinstance(document.get("errors"), list):
        entries = [e for e in document["errors"] if isinstance(e, dict)]
        return [(_code(e.get("code")), str(e.get("message", ""))) for e in entries]
    if isinstance(document, etree._Element) and document.find("errors") is not None:
        return [
            (_code(e.findtext("code")), (e.findtext("message") or "").strip())
            for e in document.find("errors").iter("error")
        ]
    return None


def _code(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return 0


def list_items(document: Any, plural: str, singular: str) -> list[dict[str, Any]]:
    """The items of a list reply (`display` given), each a dict of field -> raw value."""
    if isinstance(document, list) and not document:
        return []  # JSON renders an empty list as the bare body []
    if isinstance(document, dict) and isinstance(document.get(plural), list):
        return [_json_item(item, singular) for item in document[plural]]
    if isinstance(document, etree._Element):
        wrapper = document.find(plural)
        if wrapper is not None:
            return [_xml_item(element) for element in wrapper if element.tag == singular]
    raise UnexpectedResponse(f"the shop's reply holds no list of {plural}")


def single_item(document: Any, plural: str, singular: str) -> tuple[dict[str, Any], bool]:
    """The object of a single-object reply, and whether it may have dropped falsy fields."""
    if isinstance(document, dict) and isinstance(document.get(singular), dict):
        return document[singular], True
    if isinstance(document, dict) and isinstance(document.get(plural), list):
        items = document[plural]
        if len(items) == 1:
            return _json_item(items[0], singular), False
    if isinstance(document, etree._Element):
        element = document.find(singular)
        if element is not None:
            return _xml_item(element), False
    raise UnexpectedResponse(f"the shop's reply holds no {singular}")


def _json_item(item: Any, singular: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UnexpectedResponse(f"the shop's list holds a {type(item).__name__}, not a {singular}")
    return item


def _xml_item(element: etree._Element) -> dict[str, Any]:
    return {child.tag: child.text or "" for child in element if isinstance(child.tag, str)}


def int_field(item: dict[str, Any], name: str, *, lenient: bool = False) -> int:
    """A whole number sent as "5" or 5; a missing field is 0 only when `lenient`."""
    if name not in item:
        if lenient:
            return 0
        raise UnexpectedResponse(f"the shop's data lacks the field {name!r}")
    value = item[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    raise UnexpectedResponse(f"the shop's field {name!r} is not a whole number: {value!r}"[:200])


def text_field(item: dict[str, Any], name: str, *, lenient: bool = False) -> str:
    """A text value; a missing field (or JSON null) is "" only when `lenient`."""
    if name not in item:
        if lenient:
            return ""
        raise UnexpectedResponse(f"the shop's data lacks the field {name!r}")
    value = item[name]
    if value is None or value is False:
        return ""
    if isinstance(value, (dict, list)):
        raise UnexpectedResponse(f"the shop's field {name!r} is not text")
    return str(value)


def stock_row(item: dict[str, Any], *, lenient: bool = False) -> StockRow:
    """A StockRow from one item; `lenient` for JSON single objects that drop falsy fields."""
    values = {name: int_field(item, name, lenient=lenient) for name in STOCK_FIELDS[:-1]}
    return StockRow(**values, location=text_field(item, "location", lenient=lenient))
