"""Pagination for listings of a million rows: count at most a few thousand of them.

An exact count of a million orders, or of the 30,000 that match "sharma", costs
PostgreSQL most of a second on every page. Nobody pages through that far, so
the listing counts up to COUNT_LIMIT rows and then says "more than 10,000":
the count, the last page and the deepest OFFSET all stay small.
"""

from __future__ import annotations

from django.utils.functional import cached_property
from wagtail.admin.paginator import WagtailPaginator

COUNT_LIMIT = 10_000


class BoundedCountPaginator(WagtailPaginator):
    count_limit = COUNT_LIMIT

    @cached_property
    def count(self) -> int:
        # Without the listing's ORDER BY: any COUNT_LIMIT + 1 matching rows will do, so
        # PostgreSQL need not walk the sort's index to find them.
        return self.object_list.order_by()[: self.count_limit + 1].count()

    @property
    def is_bounded(self) -> bool:
        """True when there are more rows than were counted (the count is the limit + 1)."""
        return self.count > self.count_limit

    @cached_property
    def num_pages(self) -> int:
        shown = min(self.count, self.count_limit)
        if shown == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, -(-max(0, shown - self.orphans) // self.per_page))

    @cached_property
    def items_count_label(self) -> str:
        if self.is_bounded:
            return f"More than {self.count_limit:,} {self.verbose_name_plural}"
        return super().items_count_label


class LargeListingMixin:
    """For an IndexView over a big table: bounded counts, and the match count said as such."""

    paginator_class = BoundedCountPaginator
    results_template_name = "store/admin/large_listing_results.html"

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        paginator = context.get("paginator")
        if paginator is not None and paginator.is_bounded:
            context["items_count"] = paginator.count_limit
            context["items_count_is_bounded"] = True
        return context
