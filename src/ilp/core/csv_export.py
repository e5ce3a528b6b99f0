"""CSV exports of the portal's and the API's lists: UTF-8, a header row, every row, streamed.

A cell a spreadsheet would read as a formula gets a leading apostrophe, so opening an export
never runs anything a customer typed into a name or comment (OWASP "CSV injection"): one that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return, and one where any part after a
`;`, `,`, `|`, a tab or a line break starts with `=`, `+`, `-` or `@` (blanks before it
ignored). A spreadsheet opened with another separator than ours (German Excel splits on `;`)
or a user's "text to columns" would otherwise turn that part into a cell of its own.
"""

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps

from django.http import StreamingHttpResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_AFTER_SEPARATOR = re.compile(r"[;,|\t\r\n][ \u00a0]*[=+\-@]")


def csv_cell(value) -> str:
    """One cell as text: None is empty, dates in ISO form, formula starts escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = str(value)
    if isinstance(value, int | float):
        return text  # a number (also a negative one) is not a formula
    if text.startswith(_FORMULA_START) or _FORMULA_AFTER_SEPARATOR.search(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte order mark lets Excel open UTF-8 (umlauts in company names) without a wizard.
    yield "\ufeff" + writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A streamed CSV download; `rows` should be lazy (a queryset's `.iterator()`)."""
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_of_schema(filename: str, schema, items: Iterable) -> StreamingHttpResponse:
    """Export objects in the shape of their API schema: one column per field, same names."""
    header = list(schema.model_fields)

    def rows():
        for item in items:
            data = schema.from_orm(item).model_dump()
            yield [data[name] for name in header]

    return csv_response(filename, header, rows())


def csv_exportable(schema, name: str) -> Callable:
    """Put it above `@paginate` on a list route: `?format=csv` answers the whole list (every
    row, streamed) in the shape of `schema` instead of a page of JSON. The route itself stays
    a function returning a queryset; the filename is `<name>-<gaid>.csv`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.GET.get("format") == "csv":
                kwargs.pop("ninja_pagination", None)
                items = view.__wrapped__(request, *args, **kwargs)
                gaid = kwargs.get("gaid", "")
                return csv_of_schema(f"{name}-{gaid}.csv", schema, items.iterator(chunk_size=500))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
