"""filter[FIELD]=VALUE semantics of SQLUtils::getSQLRetrieveFilter, evaluated in Python."""

import re
from dataclasses import dataclass

from prestashop_sim.resources import Field

_SHAPE = re.compile(r"^(.*)\[(.*)\](.*)$")
_RANGE = re.compile(r"^([\d.:\-\s]+),([\d.:\-\s]+)$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def mysql_number(value) -> float:
    """How MySQL reads a string compared with a number: its numeric prefix, else 0."""
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.match(value)
    return float(match.group(0)) if match else 0.0


def mysql_text(value) -> str:
    """How a _ci collation compares text: case-insensitive, trailing spaces ignored."""
    return str(value).casefold().rstrip(" ")


@dataclass(frozen=True)
class Filter:
    """One parsed filter; `test` decides a raw field value."""

    field: Field
    op: str  # eq | between | like | gt | lt | ne | none
    values: tuple[str, ...] = ()
    pattern: re.Pattern | None = None

    @classmethod
    def parse(cls, field: Field, raw: str) -> "Filter":
        """Parse VALUE the way SQLUtils does (unknown shapes add no condition)."""
        match = _SHAPE.match(raw)
        if not match:
            return cls(field, "eq", (raw,))
        before, inner, after = match.groups()
        if before == "%" or after == "%":
            return cls(field, "like", (inner,), _like(before + inner + after))
        if before == "" and after == "":
            if inner.find("|") > 0:
                return cls(field, "eq", tuple(inner.split("|")))
            bounds = _RANGE.match(inner)
            if bounds:
                return cls(field, "between", tuple(_sorted_bounds(bounds.groups())))
            return cls(field, "eq", (inner,))
        ops = {">": "gt", "<": "lt", "!": "ne"}
        if before in ops:
            values = tuple(inner.split("|")) if before == "!" else (inner,)
            return cls(field, ops[before], values)
        return cls(field, "none")

    def int_values(self) -> set[int] | None:
        """For an equality on a numeric field: the integer values it can match."""
        if self.op != "eq" or not self.field.numeric:
            return None
        numbers = (mysql_number(v) for v in self.values)
        return {int(n) for n in numbers if n == int(n)}

    def matcher(self):
        """A fast predicate over raw field values."""
        numeric = self.field.numeric
        key = mysql_number if numeric else mysql_text
        if self.op == "eq":
            wanted = {key(v) for v in self.values}
            return lambda value: key(value) in wanted
        if self.op == "ne":
            unwanted = {key(v) for v in self.values}
            return lambda value: key(value) not in unwanted
        if self.op == "between":
            low, high = key(self.values[0]), key(self.values[1])
            return lambda value: low <= key(value) <= high
        if self.op == "gt":
            bound = key(self.values[0])
            return lambda value: key(value) > bound
        if self.op == "lt":
            bound = key(self.values[0])
            return lambda value: key(value) < bound
        if self.op == "like":
            pattern = self.pattern
            return lambda value: pattern.match(str(value)) is not None
        return lambda value: True


def _like(sql_pattern: str) -> re.Pattern:
    parts = []
    for char in sql_pattern:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE | re.DOTALL)


def _sorted_bounds(bounds: tuple[str, str]) -> list[str]:
    try:
        return sorted(bounds, key=float)
    except ValueError:
        return sorted(bounds)
