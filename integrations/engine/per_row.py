"""A per-row integer value as one SQL CASE, cheap to build for hundreds of rows.

Django's Case(When(pk=..., then=...)) resolves a Q, a lookup and a Value for every row: about
a millisecond each, which made recording a 500-link chunk cost more than talking to the shop.
ValueByPk writes ``CASE id WHEN 17 THEN 4 ... ELSE <default> END`` in one pass instead.
"""

from django.db.models import Expression, F, IntegerField


class ValueByPk(Expression):
    """CASE pk WHEN <pk> THEN <value> ... ELSE <default> END over integer values (or None).

    The integers are written into the SQL as literals (int() makes that safe): one parameter
    per row would hit SQLite's variable limit on big chunks, and PostgreSQL cannot type a
    bare NULL parameter inside a CASE.
    """

    def __init__(self, values: dict[int, int | None], *, default=None, output_field=None):
        super().__init__(output_field=output_field or IntegerField())
        self.values = {
            int(pk): None if value is None else int(value) for pk, value in values.items()
        }
        self.key = F("pk")
        self.default = default

    def get_source_expressions(self):
        return [self.key, self.default]

    def set_source_expressions(self, expressions):
        self.key, self.default = expressions

    def as_sql(self, compiler, connection):
        if not self.values:
            return compiler.compile(self.default) if self.default is not None else ("NULL", [])
        key_sql, params = compiler.compile(self.key)
        whens = " ".join(
            f"WHEN {pk} THEN {'NULL' if value is None else value}"
            for pk, value in self.values.items()
        )
        otherwise = "NULL"
        if self.default is not None:
            otherwise, default_params = compiler.compile(self.default)
            params = [*params, *default_params]
        return f"CASE {key_sql} {whens} ELSE {otherwise} END", params
