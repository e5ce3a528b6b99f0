"""Paging helpers.

- `Paging`: the API's `?limit=&offset=` paging (API.md "Lists"), with an upper bound on
  `offset`. ninja's LimitOffsetPagination takes any non-negative offset; one past 2**63
  overflows the database's integer and was a 500 (found by schemathesis,
  tests/test_fuzz_api.py). No list comes near MAX_OFFSET, so a larger one is a 422 like any
  invalid parameter.
- `CappedPaginator`: a Django paginator whose count stops at a cap (issue 14): a deep list
  (the audit log of a large customer, its fleet) is not counted row by row on every view.
  Past the cap the pager says "of more than …" and offers pages up to the cap; filters narrow
  the rest.
"""

from functools import cached_property

from django.core.paginator import Paginator
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


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = 10_000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        # COUNT over a LIMITed subquery: reads at most cap + 1 rows.
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @cached_property
    def capped(self) -> bool:
        """More rows than `count` exist."""
        return self._counted > self.cap
