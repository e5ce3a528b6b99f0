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
- `DeepPaging`: `Paging` whose page is found by key first (issue 14): the
  primary keys of the page come from a sliced subquery (`WHERE pk IN (SELECT pk … ORDER BY …
  LIMIT n OFFSET m)`), which an index in the list's order answers without reading the rows
  it skips, and only the page's rows are joined to what the schema needs. The contract is the
  same (`limit`, `offset`, exact `count`, same order); one query, as before.
- `count_capped`: an API list's count that stops `cap` rows past the requested offset, for
  the lists whose exact count reads the whole tenant (the devices list); see its docstring.
"""

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

from .bounds import MAX_OFFSET


class Paging(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(
            settings.PAGINATION_PER_PAGE, ge=1, le=int(settings.PAGINATION_MAX_LIMIT)
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class DeepPaging(Paging):
    def paginate_queryset(self, queryset, pagination, request, **params):
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, pagination, request, **params)
        # The skipped rows are read from an index only (no joins, no wide rows); the outer
        # query keeps the queryset's order, joins and annotations for the page's rows. Also
        # the first page: where no index has the order (a UMS's packs by creation), the sort
        # then runs over narrow keys instead of fully joined rows.
        keys = queryset.values("pk")[offset : offset + limit]
        return {
            self.items_attribute: queryset.filter(pk__in=keys),
            "count": self._items_count(queryset),
        }


def count_capped(queryset, *, offset: int = 0, cap: int = 10_000) -> tuple[int, bool]:
    """`(count, capped)`: the rows of `queryset`, counted at most `cap` past `offset`.

    Exact (`capped` False) while the list ends within `offset + cap` rows; otherwise
    `offset + cap` and `capped` True. A COUNT over a LIMITed subquery reads at most that many
    rows (index entries). A client that pages with `offset += limit` while `offset < count`
    still reaches every row: a capped count always lies `cap` (more than any `limit`) past
    the page, and turns exact on the pages near the end."""
    window = offset + cap
    counted = queryset[: window + 1].count()
    return min(counted, window), counted > window


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
