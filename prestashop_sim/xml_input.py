"""Request bodies as SimpleXML reads them, with the PHP warnings a broken body leaks."""

from lxml import etree

from prestashop_sim.errors import WsError

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
}
_CONTEXT = 80  # libxml prints at most 80 bytes of the offending line
_CALLER = "SimpleXMLElement::__construct(): "
_WHERE = ("classes/webservice/WebserviceRequest.php", 1544)


def parse_entities(text: str, config) -> list[dict[str, str]]:
    """Each child of the root as {tag: text}; 500/127 when SimpleXML would refuse the body.

    On 8.x the libxml messages come first as PHP warnings (code 3), as in transcript 60.
    """
    data = text.encode("utf-8")
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
        dtd = root.getroottree().docinfo.internalDTD
        if dtd is not None and list(dtd.iterentities()):
            raise etree.XMLSyntaxError("entity declarations", None, 0, 0)
    except (etree.XMLSyntaxError, ValueError) as error:
        message = (
            "XML error : String could not be parsed as XML\n"
            f"XML length : {len(data)}\nOriginal XML : {text}"
        )
        warnings = _warnings(parser.error_log, data, config) if config.modern else []
        raise WsError(500, *warnings, (127, message)) from error
    return [_fields(child) for child in root if isinstance(child.tag, str)]


def _fields(entity) -> dict[str, str]:
    fields: dict[str, str] = {}
    for element in entity:
        if isinstance(element.tag, str):
            fields.setdefault(etree.QName(element).localname, element.text or "")
    return fields


def _warnings(log, data: bytes, config) -> list[tuple[int, str]]:
    """Three warnings per libxml error: the message, the line, a caret under the column."""
    entries = []
    for entry in log:
        level = "warning" if entry.level_name == "WARNING" else "error"
        lines = [
            f"Entity: line {entry.line}: parser {level} : {entry.message}",
            *_context(data, entry.line, entry.column),
        ]
        entries += [config.php_warning(_CALLER + line, *_WHERE) for line in lines]
    return entries


def _context(data: bytes, line: int, column: int) -> list[str]:
    """xmlParserPrintFileContext: the line around the error and a caret line under it."""
    starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
    position = starts[min(max(line, 1), len(starts)) - 1] + max(column, 1) - 1
    position = min(position, len(data))

    def newline(index: int) -> bool:
        return index < len(data) and data[index] in b"\r\n"

    cur = position
    while cur > 0 and newline(cur):
        cur -= 1
    count = 0
    while count < _CONTEXT and cur > 0 and not newline(cur):
        cur -= 1
        count += 1
    if count > 0 and newline(cur):
        cur += 1
    end = cur
    while end < len(data) and end - cur < _CONTEXT and not newline(end):
        end += 1
    content = data[cur:end].decode("utf-8", errors="replace")
    width = min(position - cur, _CONTEXT - 1, len(content))
    caret = "".join(c if c == "\t" else " " for c in content[:width])
    return [content, caret + "^"]
