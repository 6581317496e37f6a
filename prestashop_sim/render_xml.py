"""XML output byte-for-byte as WebserviceOutputXML lays it out (CDATA, tabs, xlinks)."""

from prestashop_sim.records import text
from prestashop_sim.resources import DESCRIPTIONS, SPECIFIC_MANAGEMENT, Field, Resource

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
FOOT = "</prestashop>\n"
ASSOCIATION_FIELDS = {
    "combinations": ("id",),
    "stock_availables": ("id", "id_product_attribute"),
    "product_option_values": ("id",),
    "images": ("id",),
}
ASSOCIATION_LINKS = {"id_product_attribute": "combinations"}


def document(inner: str) -> bytes:
    """Wrap content in the <prestashop> envelope."""
    return (HEAD + inner + FOOT).encode()


def field_line(field: Field, value, base: str, *, schema: str | None = None) -> str:
    """One tab-indented field line."""
    if field.kind == "lang":
        languages = "".join(
            f'<language id="{lang}" xlink:href="{base}languages/{lang}">'
            f"<![CDATA[{text(v)}]]></language>"
            for lang, v in value.items()
        )
        return f"\t<{field.name}>{languages}</{field.name}>\n"
    shown = text(value)
    attrs = ""
    if field.xlink and shown not in ("", "0") and schema != "blank":
        attrs += f' xlink:href="{base}{field.xlink}/{shown}"'
    if field.getter and schema != "blank":
        attrs += ' notFilterable="true"'
    return f"\t<{field.name}{attrs}><![CDATA[{shown}]]></{field.name}>\n"


def entity(
    resource: Resource, fields: tuple[Field, ...], record: dict, base: str, assoc=None
) -> str:
    """<singular> with its fields (and associations when given)."""
    lines = [f"<{resource.singular}>\n"]
    lines.extend(field_line(f, record[f.name], base) for f in fields if f.name in record)
    if assoc:
        lines.append(associations(assoc, base))
    lines.append(f"</{resource.singular}>\n")
    return "".join(lines)


def associations(assoc: dict[str, list[dict]], base: str) -> str:
    """The <associations> block of a product."""
    out = ["<associations>\n"]
    for name, items in assoc.items():
        node = name[:-1]
        head = f'<{name} nodeType="{node}" api="{name}"'
        if not items:
            out.append(head + "/>\n")
            continue
        out.append(head + ">\n")
        for item in items:
            out.append(f'<{node} xlink:href="{base}{name}/{item["id"]}">\n')
            for key in ASSOCIATION_FIELDS[name]:
                link = ASSOCIATION_LINKS.get(key)
                out.append(field_line(Field(key, xlink=link), item[key], base))
            out.append(f"</{node}>\n")
        out.append(f"</{name}>\n")
    out.append("</associations>\n")
    return "".join(out)


def minimal_list(resource: Resource, ids: list[int], base: str) -> bytes:
    """List without display: self-closing items with id and xlink."""
    items = "".join(
        f'<{resource.singular} id="{i}" xlink:href="{base}{resource.name}/{i}"/>\n' for i in ids
    )
    return document(f"<{resource.name}>\n{items}</{resource.name}>\n")


def full_list(resource: Resource, entities: list[str]) -> bytes:
    """List with display: the plural wrapper around rendered entities."""
    return document(f"<{resource.name}>\n{''.join(entities)}</{resource.name}>\n")


def errors(entries: list[tuple[int, str]]) -> bytes:
    """The <errors> document."""
    body = "".join(
        f"<error>\n<code><![CDATA[{code}]]></code>\n<message><![CDATA[{message}]]></message>\n</error>\n"
        for code, message in entries
    )
    return document(f"<errors>\n{body}</errors>\n")


def api_index(permissions: dict[str, set[str]], base: str, shop_name: str, modern: bool) -> bytes:
    """GET /api/: the resources this key may use, with per-method flags."""
    methods = (
        ("get", "put", "post", "patch", "delete", "head")
        if modern
        else ("get", "put", "post", "delete", "head")
    )
    out = [f'<api shopName="{_escape(shop_name)}">\n']
    for name, description in DESCRIPTIONS.items():
        if name not in permissions:
            continue
        flags = "".join(
            f' {m}="{"true" if m.upper() in permissions[name] else "false"}"' for m in methods
        )
        attrs = f' xlink:href="{base}{name}"{flags}'
        out.append(f"<{name}{attrs}>\n<description{attrs}>\n{description}</description>\n")
        if name not in SPECIFIC_MANAGEMENT:
            out.append(f'<schema xlink:href="{base}{name}?schema=blank" type="blank"/>\n')
            out.append(f'<schema xlink:href="{base}{name}?schema=synopsis" type="synopsis"/>\n')
        out.append(f"</{name}>\n")
    out.append("</api>\n")
    return document("".join(out))


def schema(resource: Resource, fields: tuple[Field, ...], kind: str) -> bytes:
    """schema=blank (empty skeleton) or schema=synopsis (with required/format/maxSize)."""
    lines = [f"<{resource.singular}>\n"]
    for field in fields:
        if kind == "synopsis" and field.name == "id":
            continue
        attrs = ""
        if kind == "synopsis":
            attrs += ' required="true"' if field.required else ""
            attrs += f' maxSize="{field.size}"' if field.size else ""
            attrs += f' format="{field.validate}"' if field.validate else ""
            attrs += ' read_only="true"' if not field.writable else ""
        if field.kind == "lang":
            inner = '<language id="1"><![CDATA[]]></language>'
            lines.append(f"\t<{field.name}{attrs}>{inner}</{field.name}>\n")
        else:
            lines.append(f"\t<{field.name}{attrs}><![CDATA[]]></{field.name}>\n")
    lines.append(f"</{resource.singular}>\n")
    return document("".join(lines))


def _escape(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
