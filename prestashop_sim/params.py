"""Query-string parameters: PHP-style parsing and display/filter/sort/limit validation."""

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from prestashop_sim.errors import WsError, did_you_mean
from prestashop_sim.filters import Filter
from prestashop_sim.resources import Field, Resource

_KEY = re.compile(r"^([^\[]+)((?:\[[^\]]*\])*)$")
_BRACKETED = re.compile(r"^\[(.*)\]$", re.DOTALL)


def parse_query(raw: str) -> dict:
    """Parse a query string the way PHP fills $_GET (a[b]=1 nests, the last value wins)."""
    params: dict = {}
    for pair in raw.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        match = _KEY.match(name)
        if not match:
            params[name] = value
            continue
        keys = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
        target = params
        for key in keys[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[keys[-1]] = value
    return params


def php_int(value: str) -> int:
    """PHP's (int) cast of a string: leading integer, else 0."""
    match = re.match(r"^\s*([-+]?\d+)", value)
    return int(match.group(1)) if match else 0


@dataclass
class ListQuery:
    """A validated list request."""

    filters: list[Filter] = field(default_factory=list)
    display: object = "minimum"  # "minimum" | "full" | dict[name, list[str] | None]
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: tuple[int, int | None] | None = None  # (offset, count) or (count, None)
    schema: str | None = None


def parse_display(resource: Resource, fields: dict[str, Field], params: dict):
    """setFieldsToDisplay: 'full', or a dict of field -> None / association sub-fields."""
    raw = params.get("display")
    if raw is None or raw in ("full", "minimum"):
        return raw
    names = ", ".join(fields)
    match = _BRACKETED.match(raw) if isinstance(raw, str) else None
    if not match:
        message = (
            "The 'display' syntax is wrong. You can set 'full' or "
            f"'[field_1,field_2,field_3,...]'. These are available: {names}"
        )
        raise WsError(400, (36, message))
    wanted = _split_display(match.group(1))
    for name, sub in wanted.items():
        ok = name in fields if sub is None else name in resource.associations
        if not ok:
            message = (
                f'Unable to display this field "{name}". However, these are available: {names}'
            )
            raise WsError(400, (35, message))
    return wanted


def _split_display(text: str) -> dict:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
        depth += char == "["
        depth -= char == "]"
    if current:
        parts.append(current)
    wanted: dict = {}
    for part in parts:
        name, bracket, rest = part.partition("[")
        name = name.strip()
        wanted.setdefault(name, None)
        if bracket:
            wanted[name] = (wanted[name] or []) + rest[:-1].split(",")
    return wanted


def parse_list(resource: Resource, fields: dict[str, Field], params: dict) -> ListQuery:
    """manageFilters: schema, filters, display, sort, limit, checked in PrestaShop's order."""
    query = ListQuery()
    filterable, i18n = _filterable(fields, dated=bool(params.get("date")))
    if "schema" in params:
        if params["schema"] not in ("blank", "synopsis"):
            raise WsError(400, (28, _SCHEMA_MESSAGE))
        query.schema = params["schema"]
        return query
    raw_filters = params.get("filter")
    for name, value in raw_filters.items() if isinstance(raw_filters, dict) else []:
        query.filters.append(_parse_filter(fields, filterable, i18n, name, value))
    query.display = parse_display(resource, fields, params) or "minimum"
    if "sort" in params:
        query.sort = _parse_sort(str(params["sort"]), filterable, i18n)
    if "limit" in params:
        parts = str(params["limit"]).split(",")
        if len(parts) > 2:
            message = 'The "limit" value has to be formed as this example: "5,25" or "10"'
            raise WsError(400, (39, message))
        first = php_int(parts[0])
        query.limit = (first, php_int(parts[1])) if len(parts) == 2 else (first, None)
    return query


_SCHEMA_MESSAGE = (
    "Please select a schema of type 'synopsis' to get the whole schema informations (which "
    "fields are required, which kind of content...) or 'blank' to get an empty schema to "
    "fill before using POST request"
)


def _filterable(fields: dict[str, Field], *, dated: bool) -> tuple[list[str], list[str]]:
    plain = [n for n, f in fields.items() if f.kind != "lang"]
    i18n = [n for n, f in fields.items() if f.kind == "lang"]
    if dated:
        plain += [d for d in ("date_add", "date_upd") if d not in plain]
    else:
        plain = [n for n in plain if n not in ("date_add", "date_upd")]
    return plain, i18n


def _parse_filter(fields, filterable, i18n, name, value) -> Filter:
    if name not in filterable:
        if isinstance(value, str) and value != "" and name in i18n:
            return Filter.parse(fields[name], value)
        if isinstance(value, dict):
            raise WsError(400, (31, "There is no existing linked table for this resource"))
        raise did_you_mean(400, "This filter does not exist", name, filterable, 32)
    if value == "" or isinstance(value, dict):
        raise WsError(400, (33, f'The filter "{name}" is malformed.'))
    if fields[name].getter:
        message = (
            f'The field "{name}" is dynamic. '
            "It is not possible to filter GET query with this field."
        )
        raise WsError(400, (34, message))
    return Filter.parse(fields[name], value)


def _parse_sort(raw: str, filterable: list[str], i18n: list[str]) -> list[tuple[str, bool]]:
    match = _BRACKETED.match(raw)
    items = match.group(1).split(",") if match else [raw]
    result = []
    for item in items:
        name, sep, direction = item.rpartition("_")
        if not sep or direction.upper() not in ("ASC", "DESC"):
            message = (
                'The "sort" value has to be formed as this example: "field_ASC" or '
                "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' "
                '("field" has to be an available field)'
            )
            raise WsError(400, (37, message))
        if name not in filterable and name not in i18n:
            message = (
                "Unable to filter by this field. However, these are available: "
                + ", ".join(filterable)
                + ", for i18n fields:"
                + ", ".join(i18n)
            )
            raise WsError(400, (38, message))
        result.append((name, direction.upper() == "DESC"))
    return result
