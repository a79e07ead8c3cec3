"""Pagination of the big lists (issue 17): count up to a cap, never millions of rows on every page.

A list of two million completions does not need its exact size on every page: the first pages, and the
pages of a filtered or searched list, do. `CappedPaginator` counts at most `CAP + 1` rows (one
`SELECT COUNT(*) FROM (... LIMIT 10001)`): below the cap the count is exact, above it the page says so in
words that are true ("more than 10,000 completions") and the pages past the cap still open, as long as
they hold rows. `CappedPageNumberPagination` does the same for the API: `count` is exact up to the cap and
null past it, and `next` is still right.

The admin classes of the big lists use `BigListAdminMixin` (the paginator and no second, full count).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, ClassVar, cast

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .bounds import MAX_INTEGER

CAP = 10_000


class CappedPage(Page):
    paginator: CappedPaginator

    def has_next(self) -> bool:
        paginator = self.paginator
        if not paginator.capped:
            return super().has_next()
        bottom = self.number * paginator.per_page
        if bottom + paginator.per_page <= paginator.count:  # the next page is under the counted rows
            return True
        # Near or past the cap: one row after this page says whether a next page exists.
        rows = paginator.object_list[bottom : bottom + 1]
        return rows.exists() if isinstance(rows, QuerySet) else bool(rows)


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap + 1` rows; `capped` is true when more rows match."""

    cap = CAP
    template_name = "admin/vigie/pagination_capped.html"  # read by django-unfold's pagination.html

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # Which rows are counted does not matter, only how many (up to the cap): no ORDER BY.
            return rows.order_by()[: self.cap + 1].count()
        return len(rows[: self.cap + 1])

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def cap_text(self) -> str:
        """The cap as the page writes it ("10 000" in French)."""
        return number_format(self.cap, force_grouping=True)

    @cached_property
    def num_pages(self) -> int:
        """The pages counted (all the pages below the cap; past it, more may exist)."""
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            return super().validate_number(number)  # raises PageNotAnInteger
        if number < 1:
            return super().validate_number(number)  # raises EmptyPage
        if (number - 1) * self.per_page > MAX_INTEGER - self.per_page:
            # No database offset goes that far (and SQL would refuse it): a page that cannot hold a row.
            raise EmptyPage(self.error_messages["no_results"])
        return number  # past the counted pages: page() says whether it holds rows

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.capped:
            return super().page(number)
        rows = self.object_list[bottom:top]
        if number > self.num_pages and not (rows.exists() if isinstance(rows, QuerySet) else rows):
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(rows, number, self)

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        return CappedPage(*args, **kwargs)

    def get_elided_page_range(
        self, number: int | float | str = 1, *, on_each_side: int = 3, on_ends: int = 2
    ) -> Iterator[Any]:
        """Past the cap the last page is unknown: the range ends with an ellipsis, not a last page."""
        if not self.capped:
            yield from super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)
            return
        number = self.validate_number(number)
        start = max(1, number - on_each_side)
        if start > on_ends + 2:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
        else:
            start = 1
        yield from range(start, min(number + on_each_side, max(number, self.num_pages)) + 1)
        yield self.ELLIPSIS


class BigListAdminMixin:
    """For a ModelAdmin of a big list: the capped paginator, and no full count of the unfiltered table.

    No "select all N" across the pages either (django-unfold's `list_disable_select_all`): past the cap N
    is not known, and an action on every row of a list this size is not one the admin can run in a request.
    """

    show_full_result_count = False
    paginator: ClassVar[type] = CappedPaginator
    list_disable_select_all = True

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]  # a ModelAdmin mixin
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None and getattr(changelist.paginator, "capped", False):
            context["selection_note_all"] = ""  # "All 10001 selected": not true, and not offered
        return response


class CappedPageNumberPagination(PageNumberPagination):
    """The API's pagination of a big collection: `count` exact up to the cap, null past it. No `?page=last`:
    past the cap the last page is not known (it would be the last page counted, which is not the last)."""

    last_page_strings = ()

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None  # paginate_queryset() ran
        paginator = cast(CappedPaginator, self.page.paginator)
        return Response(
            {
                "count": None if paginator.capped else paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": f"The number of results; null when more than {CAP:,} match (filter to count them).",
        }
        return response
