"""The API's `?limit=&offset=` paging (API.md "Lists"), with an upper bound on `offset`.

ninja's LimitOffsetPagination takes any non-negative offset; one past 2**63 overflows the
database's integer and was a 500 (found by schemathesis, tests/test_fuzz_api.py). No list
comes near MAX_OFFSET, so a larger one is a 422 like any invalid parameter.
"""

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1


class Paging(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(
            settings.PAGINATION_PER_PAGE, ge=1, le=int(settings.PAGINATION_MAX_LIMIT)
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
