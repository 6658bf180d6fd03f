"""Sales figures for staff: what the admin dashboard panel shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from store import money
from store.models import Order


@dataclass(frozen=True)
class SalesSummary:
    currency: str
    paid_today: int
    revenue_today: int
    paid_last_7_days: int
    revenue_last_7_days: int
    pending: int
    needs_attention: int

    @property
    def display_revenue_today(self) -> str:
        return money.format_amount(self.revenue_today, self.currency)

    @property
    def display_revenue_last_7_days(self) -> str:
        return money.format_amount(self.revenue_last_7_days, self.currency)


def sales_summary(now: datetime | None = None) -> SalesSummary:
    """Paid orders and revenue net of refunds, today and in the last 7 days (shop time zone),
    and what waits."""
    now = timezone.localtime(now)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=6)
    currency = settings.STORE_CURRENCY
    paid = Q(status=Order.Status.PAID, currency=currency)
    # Revenue is what was kept: each order's total less what was refunded of it.
    kept = F("amount_total") - F("amount_refunded")
    figures = Order.objects.aggregate(
        paid_today=Count("pk", filter=paid & Q(paid_at__gte=today)),
        revenue_today=Sum(kept, filter=paid & Q(paid_at__gte=today), default=0),
        paid_last_7_days=Count("pk", filter=paid & Q(paid_at__gte=week)),
        revenue_last_7_days=Sum(kept, filter=paid & Q(paid_at__gte=week), default=0),
        pending=Count("pk", filter=Q(status=Order.Status.PENDING)),
        needs_attention=Count("pk", filter=Q(needs_attention=True)),
    )
    return SalesSummary(currency=currency, **figures)
