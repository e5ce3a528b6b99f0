"""Hot statements built by the ORM once per process and run as SQL from then on.

A single-device issuance runs a handful of statements; building and compiling each through
the ORM costs more than running it (a 3-table SELECT: ~2 ms to compile, ~0.3 ms to run). A
`Prepared` statement keeps its rule where it is written — a QuerySet, with the model's own
named filters such as `ProductPack.objects.issuable()` — and compiles it the first time a
process runs it, with stand-in values for its parameters; later runs put the real values in
the same places and send the SQL as it is.

Only what the ORM passes through unchanged can be a parameter: integers, strings and dates
compared by equality or order (`field=…`, `__lte`, `F(…) + value`). A stand-in that the
compiled statement does not carry exactly where a value goes (a lookup that changes it, such
as `__icontains`) is an error at the first run, not a wrong query.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

_KINDS = (int, str, datetime.date)


def _stand_in(kind: type, n: int) -> Any:
    """A value of `kind` that no real parameter has, distinct per parameter."""
    if kind is int:
        # Within a 32-bit column's range: Django drops a comparison with a value outside the
        # field's range (always true or always false), which would lose the parameter.
        return 1_999_000_000 + n
    if kind is str:
        return f"\x1e{n}\x1f"
    if kind is datetime.date:
        return datetime.date(1, 1, 1) + datetime.timedelta(days=n + 1)
    raise TypeError(f"a prepared parameter is an int, a str or a date, not {kind}")


class Prepared:
    """`build(**stand_ins)` returns a QuerySet: a `values_list` one for `rows()`, any for
    `update(**values)` (`changes(**stand_ins)` then gives the update's values)."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        changes: Callable[..., dict] | None = None,
        **params: type,
    ):
        if any(kind not in _KINDS for kind in params.values()):
            raise TypeError("a prepared parameter is an int, a str or a date")
        self._build, self._changes, self._params = build, changes, params
        self._compiled: dict[tuple[str, str], tuple[str, list, dict]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list, dict]:
        connection = connections[alias]
        key = (alias, connection.vendor)
        if key in self._compiled:
            return self._compiled[key]
        stand_ins = {
            name: _stand_in(kind, n) for n, (name, kind) in enumerate(self._params.items())
        }
        qs = self._build(**stand_ins)
        converters: dict = {}
        if self._changes is None:
            compiler = qs.query.get_compiler(alias)
            sql, params = compiler.as_sql()
            # What the ORM does to each value it reads (a field's `from_db_value`, the
            # backend's own conversions), done to the rows of every run too.
            converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])
        else:
            query = qs.query.chain(UpdateQuery)
            query.add_update_values(self._changes(**stand_ins))
            query.annotations = {}
            sql, params = query.get_compiler(alias).as_sql()
        template = [self._slot(p, stand_ins, connection) for p in params]
        placed = {item[0] for kind, item in template if kind != "value"}
        if placed != set(stand_ins):
            missing = ", ".join(sorted(set(stand_ins) - placed))
            raise ValueError(f"prepared statement: no place found for {missing}")
        with self._lock:
            self._compiled[key] = (sql, template, converters)
        return self._compiled[key]

    @staticmethod
    def _slot(param, stand_ins: dict, connection) -> tuple[str, Any]:
        for name, stand_in in stand_ins.items():
            if isinstance(param, type(stand_in)) and param == stand_in:
                # The driver's own wrapper (psycopg's Int4 for a 32-bit column) is kept, so
                # that the real value goes out typed as the compiled one did.
                wrap = type(param) if type(param) is not type(stand_in) else None
                return ("param", (name, wrap))
            if isinstance(stand_in, datetime.date) and param == str(stand_in):
                return ("date_text", (name, None))  # SQLite: the date adapted to text
        return ("value", param)

    def _params_for(self, template: list, values: dict, alias: str) -> list:
        ops = connections[alias].ops
        out = []
        for kind, item in template:
            if kind == "value":
                out.append(item)
                continue
            name, wrap = item
            if kind == "param":
                out.append(wrap(values[name]) if wrap is not None else values[name])
            else:
                out.append(ops.adapt_datefield_value(values[name]))
        return out

    def rows(self, *, using: str = "default", **values) -> list[tuple]:
        """Run the SELECT with these parameter values; its rows as tuples."""
        sql, template, converters = self._compile(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, self._params_for(template, values, using))
            rows = cursor.fetchall()
        if not converters:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for pos, (functions, expression) in converters.items():
                for convert in functions:
                    row[pos] = convert(row[pos], expression, connection)
            out.append(tuple(row))
        return out

    def update(self, *, using: str = "default", **values) -> int:
        """Run the UPDATE with these parameter values; how many rows it changed."""
        sql, template, _converters = self._compile(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, self._params_for(template, values, using))
            return cursor.rowcount


def model_fields(model: type[models.Model]) -> list[str]:
    """The attribute names of a model's columns, in order: what `PreparedObjects` reads."""
    return [f.attname for f in model._meta.concrete_fields]


class PreparedObjects(Prepared):
    """A `Prepared` SELECT of whole model objects: `build(**stand_ins)` returns a QuerySet of
    `model` (filtered, ordered, sliced as wanted); `objects(**values)` its rows as model
    objects, as the ORM would have made them."""

    def __init__(self, model: type[models.Model], build: Callable[..., QuerySet], **params: type):
        self.model, self.fields = model, model_fields(model)
        super().__init__(lambda **kw: build(**kw).values_list(*self.fields), **params)

    def objects(self, *, using: str = "default", **values) -> list:
        return [
            self.model.from_db(using, self.fields, row) for row in self.rows(using=using, **values)
        ]

    def first(self, *, using: str = "default", **values):
        found = self.objects(using=using, **values)
        return found[0] if found else None
