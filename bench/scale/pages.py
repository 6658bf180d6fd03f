"""Every admin page the scale bench times: each listing, filter, search and sort staff have.

Searches use values from the loaded data (a real customer's email and name, an
order's number and Stripe ids), so they find what staff would look for.
Import after ``django.setup()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from store.models import Order, WebhookEvent
from store.order_queries import ORDERINGS

ORDERS = "/admin/orders/"
EVENTS = "/admin/stripe-events/"


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    params: dict[str, str] = field(default_factory=dict)


def admin_pages() -> list[Page]:
    sample = Order.objects.filter(status=Order.Status.PAID).order_by("pk")[
        Order.objects.count() // 2
    ]
    first_name, last_name = sample.customer_name.split(" ", 1)
    month_ago = timezone.localdate() - timedelta(days=30)
    year_ago = timezone.localdate() - timedelta(days=365)
    failed_event = WebhookEvent.objects.order_by("pk").first()
    pages = [
        Page("dashboard (sales panel)", "/admin/"),
        Page("orders: first page", ORDERS),
        Page("orders: page 2", ORDERS, {"p": "2"}),
        Page("orders: last page", ORDERS, {"p": "500"}),
        Page("orders: paid", ORDERS, {"status": "paid"}),
        Page("orders: pending", ORDERS, {"status": "pending"}),
        Page("orders: failed", ORDERS, {"status": "failed"}),
        Page("orders: not shipped", ORDERS, {"fulfilment": "unfulfilled"}),
        Page("orders: delivered", ORDERS, {"fulfilment": "delivered"}),
        Page("orders: needs attention", ORDERS, {"needs_attention": "true"}),
        Page(
            "orders: created in the last 30 days",
            ORDERS,
            {"created_at__date__gte": month_ago.isoformat()},
        ),
        Page(
            "orders: a day a year ago",
            ORDERS,
            {
                "created_at__date__gte": year_ago.isoformat(),
                "created_at__date__lte": year_ago.isoformat(),
            },
        ),
        Page(
            "orders: paid, not shipped, last 30 days",
            ORDERS,
            {
                "status": "paid",
                "fulfilment": "unfulfilled",
                "created_at__date__gte": month_ago.isoformat(),
            },
        ),
        *[Page(f"orders: sorted by {key}", ORDERS, {"ordering": key}) for key in sorted(ORDERINGS)],
        Page(
            "orders: pending, sorted by total",
            ORDERS,
            {"status": "pending", "ordering": "-amount_total"},
        ),
        Page("search: a customer's email", ORDERS, {"q": sample.customer_email}),
        Page("search: part of an email", ORDERS, {"q": sample.customer_email.split("@")[0]}),
        Page("search: a full name", ORDERS, {"q": sample.customer_name}),
        Page("search: a surname (many)", ORDERS, {"q": last_name}),
        Page(
            "search: a first name, sorted by total",
            ORDERS,
            {"q": first_name, "ordering": "-amount_total"},
        ),
        Page("search: a mail domain (most)", ORDERS, {"q": "gmail"}),
        Page("search: an order number", ORDERS, {"q": str(sample.pk)}),
        Page("search: a Checkout Session id", ORDERS, {"q": sample.stripe_session_id}),
        Page("search: a PaymentIntent id", ORDERS, {"q": sample.stripe_payment_intent_id}),
        Page("search: nothing matches", ORDERS, {"q": "zzzzqq"}),
        Page("order page", f"{ORDERS}inspect/{sample.pk}/"),
        Page("order exports page", f"{ORDERS}exports/"),
        Page("Stripe events: first page", EVENTS),
        Page("Stripe events: last page", EVENTS, {"p": "500"}),
        Page("Stripe events: one type", EVENTS, {"type": "charge.refunded"}),
        Page("Stripe events: a type never seen", EVENTS, {"type": "charge.dispute.created"}),
        Page("Stripe events: one outcome", EVENTS, {"outcome": "expired"}),
        Page("Stripe events: search an event id", EVENTS, {"q": failed_event.event_id}),
        Page("Stripe events: search an object id", EVENTS, {"q": sample.stripe_session_id}),
        Page("Stripe events: search error text", EVENTS, {"q": "UnknownOrder"}),
    ]
    return pages
