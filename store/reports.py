"""Sales figures for staff: what the admin dashboard panel shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from store import money
from store.models import Dispute, Order, OrderEmail


@dataclass(frozen=True)
class SalesSummary:
    currency: str
    paid_today: int
    revenue_today: int
    paid_last_7_days: int
    revenue_last_7_days: int
    pending: int
    needs_attention: int
    # Emails the shop stopped trying to send (refused for good, or not one address).
    emails_given_up: int
    # Disputes waiting for the shop's evidence.
    disputes_needing_response: int

    @property
    def display_revenue_today(self) -> str:
        return money.format_amount(self.revenue_today, self.currency)

    @property
    def display_revenue_last_7_days(self) -> str:
        return money.format_amount(self.revenue_last_7_days, self.currency)


def sales_summary(now: datetime | None = None) -> SalesSummary:
    """Paid orders and revenue net of refunds and lost disputes, today and in the last 7 days
    (shop time zone), and what waits.

    Read straight from the orders, through indexes that hold only what the panel counts:
    the paid orders by ``paid_at`` (a partial index), the pending ones and the flagged ones.
    Its cost grows with a week's sales, not with the years of orders behind them, and no
    stored total can drift from the orders (every writer, even a data fix in SQL, counts).
    """
    now = timezone.localtime(now)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=6)
    currency = settings.STORE_CURRENCY
    # Revenue is what was kept: each order's total less what was refunded of it and what a
    # lost dispute gave back to the cardholder (never below nothing).
    lost = (
        Dispute.objects.filter(order=OuterRef("pk"), status=Dispute.Status.LOST)
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    this_week = Order.objects.filter(status=Order.Status.PAID, paid_at__gte=week).annotate(
        kept=Greatest(F("amount_total") - F("amount_refunded") - Coalesce(Subquery(lost), 0), 0)
    )
    kept = F("kept")
    figures = this_week.filter(currency=currency).aggregate(
        paid_today=Count("pk", filter=Q(paid_at__gte=today)),
        revenue_today=Sum(kept, filter=Q(paid_at__gte=today), default=0),
        paid_last_7_days=Count("pk"),
        revenue_last_7_days=Sum(kept, default=0),
    )
    return SalesSummary(
        currency=currency,
        pending=Order.objects.filter(status=Order.Status.PENDING).count(),
        needs_attention=Order.objects.filter(needs_attention=True).count(),
        emails_given_up=OrderEmail.objects.filter(gave_up_at__isnull=False).count(),
        disputes_needing_response=Dispute.objects.filter(
            status__in=[Dispute.Status.NEEDS_RESPONSE, Dispute.Status.WARNING_NEEDS_RESPONSE]
        ).count(),
        **figures,
    )


@dataclass(frozen=True)
class CodeUses:
    code: str
    uses: int
    discounted: int
    currency: str

    @property
    def display_discounted(self) -> str:
        return money.format_amount(self.discounted, self.currency)


def top_discount_codes(now: datetime | None = None, limit: int = 5) -> list[CodeUses]:
    """The discount codes most used by orders paid in the last 7 days (shop time zone), with
    what they took off."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    currency = settings.STORE_CURRENCY
    used = (
        Order.objects.filter(
            status=Order.Status.PAID, paid_at__gte=today - timedelta(days=6), currency=currency
        )
        .exclude(discount_code="")
        .values("discount_code")
        .annotate(uses=Count("pk"), discounted=Sum("amount_discount"))
        .order_by("-uses", "discount_code")[:limit]
    )
    return [
        CodeUses(row["discount_code"], row["uses"], row["discounted"], currency) for row in used
    ]
