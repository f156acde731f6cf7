"""Pagination that never counts millions of rows: exact up to a cap, PostgreSQL's estimate above.

An exact COUNT(*) of every matching issue costs a scan of all of them on every list view; at a
million issues that alone takes longer than the whole page should. Large trackers show "about"
totals instead. Here the count is exact while the list is small (a COUNT over at most
EXACT_UP_TO + 1 rows, stopped by a LIMIT), and otherwise the planner's estimate of the rows the
query returns (EXPLAIN, no scan). Whether an older page exists is then known from the page
itself (one row more is fetched), so "Older" never leads past the last issue.
"""

from __future__ import annotations

import json
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet

EXACT_UP_TO = 1000


class EstimatedCountPaginator(Paginator):
    object_list: QuerySet

    @cached_property
    def count(self) -> int:
        exact = self.object_list[: EXACT_UP_TO + 1].count()
        if exact <= EXACT_UP_TO:
            return exact
        return max(self.estimated_rows(), exact)

    @cached_property
    def is_estimate(self) -> bool:
        return self.count > EXACT_UP_TO

    def estimated_rows(self) -> int:
        """The planner's row estimate for the whole list (0 when the database has none)."""
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return queryset.count()  # no cheap estimate elsewhere; small databases only
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    def validate_number(self, number) -> int:
        if not self.is_estimate:
            return super().validate_number(number)
        # An estimate may be short of the real number of pages: any page is asked for.
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # One row more than a page tells whether an older page exists, estimate or not.
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        page = EstimatedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page


class EstimatedPage(Page):
    more = False

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        # The estimate may fall short of the real last page; the extra row is what counts.
        return self.number + 1
