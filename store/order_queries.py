"""Which orders staff asked for: the listing's filters, search and sort.

The orders listing uses them, and so does a background export, which gets the
listing's query string and must find the same orders without a request. Each
one is written so an index answers it at a million orders: dates become a
range on ``created_at`` (``created_at__date`` would convert every row), an
order number or a Stripe id is an exact match, and words are matched with
PostgreSQL trigram indexes on the email and the name (store/migrations).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import django_filters
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.widgets import AdminDateInput

from store.models import Order

# What staff may sort the listing by (the columns' sort keys), each also reversed.
SORT_KEYS = ("pk", "status", "fulfilment", "amount_total", "created_at")
ORDERINGS = frozenset(SORT_KEYS) | {f"-{key}" for key in SORT_KEYS}
DEFAULT_ORDERING = "-created_at"

# A search that matches at most this many orders is listed from their ids.
MATCHES_LISTED_BY_ID = 10_000
ORDER_NUMBER = re.compile(r"#?(\d{1,18})")
# Stripe's ids: a prefix, an underscore, letters and digits (cs_test_a1B2…, pi_3N…).
STRIPE_ID = re.compile(r"(cs|pi|ch|re|py)_[A-Za-z0-9_]+")


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the shop's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


class LocalDateFilter(django_filters.DateFilter):
    """Orders created on or after (``until=False``) or on or before a day in the shop's time
    zone, as a range the ``created_at`` index serves."""

    def __init__(self, *, until: bool, **kwargs):
        super().__init__(field_name="created_at", widget=AdminDateInput, **kwargs)
        self.until = until

    def filter(self, queryset: QuerySet, value: date | None) -> QuerySet:
        if value is None:
            return queryset
        if self.until:
            return queryset.filter(created_at__lt=start_of_day(value + timedelta(days=1)))
        return queryset.filter(created_at__gte=start_of_day(value))


class OrderFilterSet(WagtailFilterSet):
    # The names Wagtail gave these filters before, so bookmarked listings still work.
    created_at__date__gte = LocalDateFilter(until=False, label="Created from")
    created_at__date__lte = LocalDateFilter(until=True, label="Created until")

    class Meta:
        model = Order
        fields = ["status", "fulfilment", "needs_attention", "disputed"]


def search(queryset: QuerySet, text: str) -> QuerySet:
    """Orders matching what staff typed: an order number, a Stripe id (exact, each on its
    own unique or plain index), or part of the customer's email or name."""
    text = text.strip()
    if not text:
        return queryset
    if number := ORDER_NUMBER.fullmatch(text):
        return queryset.filter(pk=int(number.group(1)))
    if STRIPE_ID.fullmatch(text):
        field = "stripe_payment_intent_id" if text.startswith("pi_") else "stripe_session_id"
        return queryset.filter(**{field: text})
    words = Q(customer_email__icontains=text) | Q(customer_name__icontains=text)
    if connection.vendor != "postgresql":
        return queryset.filter(words)
    found = _matching_ids(words)
    if len(found) <= MATCHES_LISTED_BY_ID:
        return queryset.filter(pk__in=found)
    # Many matches: scanning the listing's own index order finds a page of them at once.
    return queryset.filter(words)


def _matching_ids(words: Q) -> list[int]:
    """Up to MATCHES_LISTED_BY_ID + 1 orders matching ``words``, found through the trigram
    indexes. PostgreSQL cannot estimate how many rows a LIKE '%…%' matches, and when it
    guesses "many" it walks the whole table in the listing's order looking for one email
    (seconds at a million orders); a bitmap scan of the trigram index costs milliseconds
    when few match, and at most the first MATCHES_LISTED_BY_ID + 1 rows when many do."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        matches = Order.objects.filter(words).order_by().values_list("pk", flat=True)
        found = list(matches[: MATCHES_LISTED_BY_ID + 1])
        # SET LOCAL lasts to the end of the outermost transaction, which may not be this one.
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    return found


def sort_order(ordering: str) -> list[str]:
    """``ordering`` (else the default), then the primary key, so that equal values keep one
    order from page to page; the indexes on (column, id) serve exactly this."""
    if ordering not in ORDERINGS:
        ordering = DEFAULT_ORDERING
    tie_breaker = "-pk" if ordering.startswith("-") else "pk"
    return [ordering] if ordering.lstrip("-") == "pk" else [ordering, tie_breaker]


def orders_for(query: QueryDict) -> QuerySet:
    """The orders the listing shows for ``query`` (its filters, search and sort), all pages."""
    filters = OrderFilterSet(query, queryset=Order.objects.all())
    orders = filters.qs if filters.is_valid() else Order.objects.none()
    return search(orders, query.get("q", "")).order_by(
        *sort_order(query.get("ordering", DEFAULT_ORDERING))
    )
