"""Parameter types whose OpenAPI schema says exactly what the API accepts (issue 12).

Pydantic reads a date leniently (`0` is 1970-01-01, `0.5` a time stamp); the API's contract
is ISO 8601 (API.md), so query dates and times take only that, and say so in their schema.
"""

import datetime
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from .bounds import MAX_ID

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def _iso(pattern: re.Pattern, what: str):
    def check(value):
        if isinstance(value, str) and not pattern.fullmatch(value.strip()):
            raise ValueError(f"Enter an ISO 8601 {what}.")
        if isinstance(value, (int, float)):
            raise ValueError(f"Enter an ISO 8601 {what}.")
        return value

    return BeforeValidator(check)


def _in_utc(value: datetime.datetime) -> datetime.datetime:
    """An aware time in UTC: PostgreSQL refuses offsets beyond ±15:59 (`-22:45` was a 500);
    a time whose UTC form leaves the calendar (year 1 minus hours) is invalid."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError as exc:
        raise ValueError("The date and time is out of range.") from exc


IsoDate = Annotated[datetime.date, _iso(_DATE, "date (YYYY-MM-DD)")]
IsoDateTime = Annotated[
    datetime.datetime, _iso(_DATETIME, "date and time"), AfterValidator(_in_utc)
]

# A row's id as a path parameter (`/me/tokens/{token_id}`): beyond the column is a 422.
IdPath = Annotated[int, Field(ge=1, le=MAX_ID)]

# A unit ID as a path parameter: 6 to 64 letters and digits, or a MAC address in pairs of hex
# digits with `:` or `-` (core/unit_ids.py normalises both; API.md "Unit IDs").
UNIT_ID_PATTERN = r"^(?:[0-9A-Za-z]{6,64}|[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){2,31})$"
UnitIdPath = Annotated[str, Field(pattern=UNIT_ID_PATTERN)]

# A product pack ID: the product's pack prefix, a dash, letters and digits (`WE-7K3QX`); any
# case. The dash also keeps `/product-packs/merge` from reading as a pack called "merge".
PACK_ID_PATTERN = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+$"
PackIdPath = Annotated[str, Field(pattern=PACK_ID_PATTERN, max_length=24)]
