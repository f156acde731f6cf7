"""The issue list's pages: keyset pagination, and a total that never counts millions of rows.

Pages: a page number turned into OFFSET makes the database read and throw away every row
before the page (page 200 read 5,000 issues). Here each page starts where the last one
stopped: "Older" carries the (last_seen, id) of the page's last issue as a cursor
(`?before=`), "Newer" that of its first (`?after=`), and the query reads from that cursor
down the list's index, so page 200 costs what page 2 does. The page number shown beside them
travels in the query string (`page=`) and is only a label.

The total: an exact COUNT(*) of every matching issue costs a scan of all of them on every
view. The count is exact while the list is small (a COUNT over at most EXACT_UP_TO + 1 rows,
stopped by a LIMIT), and otherwise the planner's estimate of the rows the query returns
(EXPLAIN, no scan): "about 1,000,000 issues", as large trackers show.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet

EXACT_UP_TO = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the sort value and id of one row, as `<µs since 1970>_<id>`."""

    moment: datetime
    pk: int

    def __str__(self) -> str:
        return f"{(self.moment - EPOCH) // MICROSECOND}_{self.pk}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor written in `text`, or None for anything else (the first page then)."""
        try:
            micros, pk = (int(part) for part in (text or "").split("_"))
            return cls(EPOCH + micros * MICROSECOND, pk)
        except (ValueError, OverflowError):
            return None


@dataclass
class KeysetPage:
    object_list: list[Any]
    number: int
    count: int
    is_estimate: bool
    per_page: int
    # The cursors the "Newer" and "Older" links carry; None when there is no such page.
    newer: Cursor | None
    older: Cursor | None

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


class KeysetPaginator:
    """Pages of `queryset` newest first by (`field`, id), which an index of the table must
    end with for deep pages to stay cheap."""

    def __init__(
        self,
        queryset: QuerySet,
        per_page: int,
        field: str = "last_seen",
        exact_up_to: int | None = None,
    ) -> None:
        self.queryset = queryset.order_by(f"-{field}", "-pk")
        self.per_page = per_page
        self.field = field
        self.exact_up_to = exact_up_to

    def page(self, params) -> KeysetPage:
        """The page that `params` (a QueryDict: before, after, page) asks for."""
        number = _positive_int(params.get("page"))
        before, after = Cursor.parse(params.get("before")), Cursor.parse(params.get("after"))
        per_page = self.per_page
        if after:
            # Read up from the cursor, one row more than a page to know whether newer ones are
            # left above it; the cursor's own row, at least, is below.
            upward = self.queryset.filter(self._beyond(after, newer=True)).reverse()
            found = list(upward[: per_page + 1])
            if len(found) > per_page:
                return self._page(found[:per_page][::-1], max(number, 2), newer=True, older=True)
            # The top of the list is reached: that is the first page, full.
        elif before:
            found = list(self.queryset.filter(self._beyond(before, newer=False))[: per_page + 1])
            if found:
                older = len(found) > per_page
                return self._page(found[:per_page], max(number, 2), newer=True, older=older)
            # Past the end (a stale or edited link): the first page rather than nothing.
        found = list(self.queryset[: per_page + 1])
        return self._page(found[:per_page], 1, newer=False, older=len(found) > per_page)

    def _page(self, rows: list[Any], number: int, *, newer: bool, older: bool) -> KeysetPage:
        count, is_estimate = self.total()
        if not is_estimate:
            # The label travels in the link and may be edited; an exact count bounds it.
            number = min(number, max(1, math.ceil(count / self.per_page)))
        return KeysetPage(
            object_list=rows,
            number=number,
            count=count,
            is_estimate=is_estimate,
            per_page=self.per_page,
            newer=self._cursor(rows[0]) if rows and newer else None,
            older=self._cursor(rows[-1]) if rows and older else None,
        )

    def total(self) -> tuple[int, bool]:
        """(how many rows, whether that is an estimate)."""
        cap = min(self.exact_up_to or EXACT_UP_TO, EXACT_UP_TO)
        exact = self.queryset[: cap + 1].count()
        if exact <= cap:
            return exact, False
        return max(estimated_rows(self.queryset), exact), True

    def _beyond(self, cursor: Cursor, *, newer: bool) -> Q:
        # The row-value comparison (field, id) < (moment, pk), written so that its first
        # condition bounds an index range scan on the field instead of filtering every row.
        op = "gt" if newer else "lt"
        bound = {f"{self.field}__{op}e": cursor.moment}
        return Q(**bound) & (
            Q(**{f"{self.field}__{op}": cursor.moment})
            | Q(**{self.field: cursor.moment, f"pk__{op}": cursor.pk})
        )

    def _cursor(self, row: Any) -> Cursor:
        return Cursor(getattr(row, self.field), row.pk)


def estimated_rows(queryset: QuerySet) -> int:
    """The planner's row estimate for the whole queryset (0 when the database has none)."""
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


def _positive_int(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except (TypeError, ValueError):
        return 1
