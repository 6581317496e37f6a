"""How each fault kind rewrites or replaces an answer."""

from prestashop_sim import pages, render_json, render_xml
from prestashop_sim.faults import FaultRule
from prestashop_sim.load import retry_after_value
from prestashop_sim.webservice import JSON_TYPE, XML_TYPE, Response

_LEAK = (
    b"\n<b>Notice</b>:  Undefined index: id_lang in <b>/var/www/html/modules/"
    b"somemodule/somemodule.php</b> on line <b>42</b><br />\n"
)
_WARNING = (
    "[PHP Warning #2] Trying to access array offset on value of type bool "
    "(/var/www/html/classes/webservice/WebserviceRequest.php, line 1187)"
)
_BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE prestashop [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<prestashop>\n<stock_availables>\n<stock_available>\n\t<id><![CDATA[1]]></id>\n"
    "\t<location>&lol9;</location>\n</stock_available>\n</stock_availables>\n</prestashop>\n"
)
_EXTERNAL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE prestashop [\n'
    '<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n<prestashop>\n<stock_availables>\n'
    "<stock_available>\n\t<id><![CDATA[1]]></id>\n\t<location>&xxe;</location>\n"
    "</stock_available>\n</stock_availables>\n</prestashop>\n"
)


def replacement(fired: dict[str, FaultRule]) -> Response | None:
    """An answer that replaces the webservice entirely, if such a fault fired."""
    if "drop" in fired:
        return Response(0, drop=True)
    if "http_error" in fired:
        status = fired["http_error"].status
        body = pages.php_fatal() if status == 500 else pages.proxy_error(status)
        return Response(status, [("Content-Type", pages.HTML)], body)
    if "maintenance" in fired:
        return Response(503, [("Content-Type", pages.HTML)], pages.maintenance())
    if "rate_limited" in fired:
        rule = fired["rate_limited"]
        return too_many_requests(None if rule.variant == "no_retry_after" else rule.seconds)
    if "entity_bomb" in fired:
        text = _EXTERNAL if fired["entity_bomb"].variant == "external" else _BILLION_LAUGHS
        return Response(200, _ws_headers(XML_TYPE), text.encode())
    return None


def too_many_requests(retry_after: float | None) -> Response:
    """nginx limit_req's 429 page, with Retry-After in whole seconds when given."""
    headers = [("Content-Type", pages.HTML)]
    if retry_after is not None:
        headers.append(("Retry-After", retry_after_value(retry_after)))
    return Response(429, headers, pages.proxy_error(429))


def rewrite(response: Response, fired: dict[str, FaultRule]) -> Response:
    """Apply body/header faults to a webservice answer."""
    if "php_warning" in fired:
        is_json = response.header("Content-Type") == JSON_TYPE
        entries = [(3, _WARNING)]
        body = render_json.errors(entries) if is_json else render_xml.errors(entries)
        headers = _replace(
            _without(response.headers, "Content-Sha1"),
            "Content-Type",
            JSON_TYPE if is_json else XML_TYPE,
        )
        response = Response(500, headers, body)
    if "truncated" in fired and response.body:
        response = Response(
            response.status, response.headers, response.body[: len(response.body) // 2]
        )
    if "malformed" in fired and response.body:
        response = Response(response.status, response.headers, _malformed(response))
    if "php_leak" in fired:
        headers = _replace(response.headers, "Content-Type", "application/javascript")
        response = Response(response.status, headers, _LEAK + response.body)
    if "wrong_content_type" in fired:
        headers = _replace(response.headers, "Content-Type", pages.HTML)
        response = Response(response.status, headers, response.body)
    return response


def _malformed(response: Response) -> bytes:
    """The body made unparsable in its own format (lists are often read as JSON)."""
    if response.header("Content-Type") == JSON_TYPE:
        # A stray comma before the closing bracket: what a broken output filter leaves.
        body = response.body.rstrip()
        return body[:-1] + b"," + body[-1:]
    return response.body.replace(b"</prestashop>", b"<error>\n</prestashop>")


def _ws_headers(content_type: str) -> list[tuple[str, str]]:
    return [("X-Powered-By", "PrestaShop Webservice"), ("Content-Type", content_type)]


def _without(headers, name):
    return [(k, v) for k, v in headers if k.lower() != name.lower()]


def _replace(headers, name, value):
    return [*_without(headers, name), (name, value)]
