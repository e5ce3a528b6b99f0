"""Inserting many rows fast: PostgreSQL's `COPY`, elsewhere Django's `bulk_create`.

A 1000-device issuance writes 1000 licenses and 1000 audit events. Through `bulk_create`
most of that time is Django preparing every value of every object; `COPY` takes the
values as they are (psycopg adapts them) and is what the issuance benchmark's ceiling uses.
Only fields whose Python value is not what the database stores (JSON) are converted.

`objects_insert` gives the objects their primary keys (drawn from the table's sequence in
one query before the `COPY`), like `bulk_create` does on PostgreSQL; `rows_insert` returns
none. A constraint violation raises Django's `IntegrityError` like any insert, so callers
can keep a savepoint-and-fall-back path.
"""

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, models

# Up to this many rows one `INSERT … VALUES` (one round trip, nothing compiled by the ORM)
# beats `COPY` (two round trips, plus one for the primary keys): the single-device request.
SMALL = 20


def _fields(model: type[models.Model], names: Sequence[str] | None) -> list[models.Field]:
    if names is None:
        return [f for f in model._meta.concrete_fields if not f.primary_key]
    return [model._meta.get_field(n) for n in names]


def _prepared(objs: Sequence[models.Model]) -> None:
    """Objects inserted here skip `save`: a model that overrides it must say what its `save`
    adds to a new row in `derived_fill()` (called here), or be saved the ORM's way."""
    model = type(objs[0])
    fill = getattr(model, "derived_fill", None)
    if fill is None:
        if "save" in model.__dict__:
            raise TypeError(f"{model.__name__} overrides save(): give it derived_fill()")
        return
    for obj in objs:
        obj.derived_fill()


def _object_rows(objs: Sequence[models.Model], fields: list[models.Field]) -> list[list]:
    """The objects' values of these fields, in order: the rows `_values_sql` takes."""
    attnames = [f.attname for f in fields]
    return [[getattr(o, a) for a in attnames] for o in objs]


def _values_sql(
    model: type[models.Model], fields: list[models.Field], rows: list[Sequence]
) -> tuple[str, list]:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES " + ", ".join(
        [one] * len(rows)
    )
    params = [
        f.get_db_prep_save(v, connection) for row in rows for f, v in zip(fields, row, strict=True)
    ]
    return sql, params


def _values_insert(
    model: type[models.Model],
    fields: list[models.Field],
    rows: list[Sequence],
    *,
    suffix: str = "",
) -> list[tuple]:
    """One `INSERT … VALUES (…), (…)` with every value prepared by its field, as the ORM
    would; `suffix` adds ON CONFLICT / RETURNING. Returns the rows it returned."""
    sql, params = _values_sql(model, fields, rows)
    with connection.cursor() as cursor:
        cursor.execute(sql + suffix, params)
        return cursor.fetchall() if "RETURNING" in suffix else []


def rows_insert(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (values in the order of the field `names`, foreign keys by their
    `…_id` value) into `model`'s table in one statement."""
    fields = _fields(model, names)
    rows = iter(rows)
    head = list(itertools.islice(rows, SMALL + 1))  # the rest streams (a bulk load's millions)
    if len(head) <= SMALL:
        if head:
            _values_insert(model, fields, head)
        return
    rows = itertools.chain(head, rows)
    if connection.vendor != "postgresql":
        attnames = [f.attname for f in fields]
        model.objects.bulk_create([model(**dict(zip(attnames, r, strict=True))) for r in rows])
        return
    # JSON goes in as its text (what jsonb parses), through the field's own encoder.
    converters = [
        (i, functools.partial(json.dumps, cls=f.encoder))
        for i, f in enumerate(fields)
        if isinstance(f, models.JSONField)
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if converters:
                    row = list(row)
                    for i, dumps in converters:
                        if row[i] is not None:
                            row[i] = dumps(row[i])
                copy.write_row(row)


def _saved(objs: Iterable[models.Model]) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def objects_insert(objs: Sequence[models.Model]) -> None:
    """Insert unsaved model objects of one model in one statement; each gets its primary key
    (on PostgreSQL drawn from the table's sequence first, then `COPY`ed with the rows)."""
    if not objs:
        return
    _prepared(objs)
    model = type(objs[0])
    if len(objs) <= SMALL:
        # A few rows: one INSERT … RETURNING, its values prepared by their fields.
        fields = _fields(model, None)
        pk = connection.ops.quote_name(model._meta.pk.column)
        returned = _values_insert(
            model, fields, _object_rows(objs, fields),
            suffix=f" RETURNING {pk}",
        )  # fmt: skip
        for obj, (new_id,) in zip(objs, returned, strict=True):
            obj.pk = new_id
        _saved(objs)
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=500)
        return
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    fields = [pk, *_fields(model, None)]
    attnames = [f.attname for f in fields]
    for obj, new_id in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, new_id)
    rows_insert(model, [f.name for f in fields], ([getattr(o, a) for a in attnames] for o in objs))
    _saved(objs)


# --- writes held to the end of a block --------------------------------------------------------

_held: ContextVar[list[tuple[str, list]] | None] = ContextVar("bulk_held", default=None)


@contextmanager
def writes_held() -> Iterator[None]:
    """Hold the block's `objects_insert_later` and `object_update_later` writes and send them
    together when it ends without an error: on PostgreSQL one round trip for all of them
    (one multi-statement query), elsewhere one statement after the other. Use it inside the
    transaction, around work that never reads those rows back (an order's items, the
    contact's membership, its mail, its audit events, its stored answer); nested, it joins the
    outer block. Constraint violations surface at the end of the block, still inside the
    transaction, which then rolls back whole."""
    if _held.get() is not None:
        yield
        return
    held: list[tuple[str, list]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    if not held:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Client-side binding (Django's default with psycopg 3): several statements may
            # travel in one simple query.
            cursor.execute(";\n".join(sql for sql, _p in held), [p for _s, ps in held for p in ps])
        else:
            for sql, params in held:
                cursor.execute(sql, params)


def objects_insert_later(objs: Sequence[models.Model]) -> None:
    """Insert objects (of one model) that nobody reads back: inside `writes_held` at its end
    (they get no primary key), else now (`objects_insert`)."""
    held = _held.get()
    if held is None or not objs or len(objs) > SMALL:
        objects_insert(objs)
        return
    _prepared(objs)
    model = type(objs[0])
    fields = _fields(model, None)
    held.append(_values_sql(model, fields, _object_rows(objs, fields)))


def object_update_later(obj: models.Model, fields: Sequence[str]) -> None:
    """`obj.save(update_fields=fields)` for a row nobody reads back before the end of the
    `writes_held` block (now, outside one)."""
    model = type(obj)
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET "
        + ", ".join(f"{quote(f.column)} = %s" for f in columns)
        + f" WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns] + [obj.pk]
    held = _held.get()
    if held is not None:
        held.append((sql, params))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def object_insert[M: models.Model](obj: M) -> M:
    """Insert one unsaved model object (it gets its primary key): what `Model.objects.create`
    does for a model without save signals or overridden `save`, without compiling a query."""
    objects_insert([obj])
    return obj


def objects_insert_fresh[M: models.Model](
    objs: Sequence[M], *, key: str, redraw: Callable[[M], str], attempts: int = 10
) -> list[M]:
    """Insert objects whose unique `key` is a random ID, drawing a new ID for any that is
    taken (ON CONFLICT DO NOTHING: no savepoint, one statement unless there is a collision).
    IDs held by rows are never deleted, so an ID is never reused either. Any other unique
    constraint the objects violate ends the same way as ten collisions: RuntimeError."""
    pending = list(objs)
    for _attempt in range(attempts):
        inserted = {id(o) for o in objects_insert_new(pending, key=key)}
        pending = [o for o in pending if id(o) not in inserted]
        if not pending:
            return list(objs)
        for obj in pending:
            setattr(obj, key, redraw(obj))
    raise RuntimeError(f"could not allocate a unique {objs[0]._meta.verbose_name} {key}")


def objects_insert_new(objs: Sequence[models.Model], *, key: str) -> list[models.Model]:
    """Insert the objects that violate no unique constraint (ON CONFLICT DO NOTHING), in one
    round trip without a savepoint; returns those inserted, with their primary keys (`key`
    names a unique field that tells them apart). Meant for a few rows (see SMALL)."""
    if not objs:
        return []
    _prepared(objs)
    model = type(objs[0])
    fields = _fields(model, None)
    quote = connection.ops.quote_name
    key_field = model._meta.get_field(key)
    returned = _values_insert(
        model,
        fields,
        _object_rows(objs, fields),
        suffix=f" ON CONFLICT DO NOTHING RETURNING {quote(model._meta.pk.column)},"
        f" {quote(key_field.column)}",
    )
    by_key = {k: pk for pk, k in returned}
    inserted = []
    for obj in objs:
        new_id = by_key.get(getattr(obj, key_field.attname))
        if new_id is not None:
            obj.pk = new_id
            inserted.append(obj)
    _saved(inserted)
    return inserted
