"""Orders and their lines: one checkout attempt and, once Stripe confirms it, one sale."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone

from store import money, places
from store.models.catalogue import Product
from store.models.variants import ProductVariant, line_name


def new_status_token() -> str:
    return secrets.token_urlsafe(24)


class OrderQuerySet(models.QuerySet):
    def for_browser(self, browser_token: str) -> OrderQuerySet:
        return self.filter(browser_token=browser_token) if browser_token else self.none()

    def holding(self, now: datetime | None = None) -> OrderQuerySet:
        """Orders whose lines hold units right now: the one definition of a hold.

        A pending order holds while its Checkout Session can be paid, or while a
        delayed payment is processing; nothing has to run when a hold ends.
        """
        now = now or timezone.now()
        return self.filter(
            models.Q(status=Order.Status.PENDING)
            & (models.Q(payment_processing=True) | models.Q(checkout_expires_at__gt=now))
        )

    def shown_to_shopper(self, confirming_public_ids: list[str]) -> OrderQuerySet:
        """What My Orders lists (see ``Order.shopper_status``): paid, being confirmed (the
        shopper came back from Stripe), processing, or whose payment failed."""
        pending = models.Q(status=Order.Status.PENDING)
        return self.filter(
            models.Q(status=Order.Status.PAID)
            | (pending & models.Q(public_id__in=confirming_public_ids))
            | (pending & models.Q(payment_processing=True))
            | (models.Q(status=Order.Status.FAILED) & ~models.Q(stripe_payment_intent_id=""))
        )

    def mark_expired(self, orders: list[Order]) -> int:
        """Those of ``orders`` in this queryset and still pending -> expired, in one UPDATE.

        The caller holds their row locks, so exactly these change; ``orders`` are updated
        in memory to match. What follows is ``store.transitions``' business.
        """
        ending = _ending(Order.Status.EXPIRED)
        updated = self.filter(pk__in=[order.pk for order in orders], status=Order.Status.PENDING)
        count = updated.update(**ending)
        for order in orders:
            for name, value in ending.items():
                setattr(order, name, value)
        return count


class Order(models.Model):
    """One checkout attempt and, once Stripe confirms it, one sale.

    Every status change goes through the ``mark_*`` methods, which are
    conditional UPDATEs: whichever process (success page, webhook, reconcile)
    gets there first wins, the others change nothing. They change the row only:
    ``store.transitions`` calls them and owns what follows (stock, emails,
    signals, the shop page's cache).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Failed"

    class Fulfilment(models.TextChoices):
        UNFULFILLED = "unfulfilled", "Not shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    currency = models.CharField(max_length=3)
    amount_total = models.PositiveIntegerField(help_text="In the currency's minor unit.")
    # amount_total = subtotal - discount + shipping, each as Stripe charged it (set when paid;
    # the subtotal is the lines' sum from the start).
    amount_subtotal = models.PositiveIntegerField(default=0)
    amount_discount = models.PositiveIntegerField(default=0)
    amount_shipping = models.PositiveIntegerField(default=0)
    discount_code = models.CharField(max_length=200, blank=True)
    shipping_rate_name = models.CharField("shipping", max_length=200, blank=True)
    # The shipping rates this order's Checkout Session offered (store.shipping.OfferedRate as
    # dicts), fixed when the order is made: the session is created from them, and the paid
    # transition accepts only one of them.
    shipping_rates_offered = models.JSONField(default=list, blank=True, editable=False)
    # Whether the session offers Stripe's promotion-code box, also fixed when the order is made,
    # so a retried session request sends the same parameters with the same idempotency key.
    promotion_codes_allowed = models.BooleanField(default=False, editable=False)
    browser_token = models.CharField(max_length=64, db_index=True, editable=False)
    # The address that started the checkout (an IPv6 client's /64: mysite.client_ip), so the
    # units one client holds at once can be capped (store.holding_limits).
    client_network = models.CharField(max_length=45, blank=True, default="", editable=False)
    # Part of the signed link to the order's status page (store.order_links): a new value
    # revokes every link sent so far. Orders older than the field get one when first linked.
    status_token = models.CharField(
        max_length=64, blank=True, default=new_status_token, editable=False
    )
    # Digest of (browser, rendered form, basket): the same form posted twice is one order.
    # Cleared when the order can no longer be paid, so the shopper may try again.
    checkout_key = models.CharField(  # noqa: DJ001 (NULL: many orders may have none)
        max_length=64, unique=True, null=True, editable=False
    )
    stripe_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    # Who paid and where to ship, as Stripe's Checkout collected them: kept whole (text, not a
    # length of our choosing that Stripe's values could pass), shown isolated (<bdi>) in HTML.
    customer_email = models.TextField(blank=True)
    customer_name = models.TextField(blank=True)
    customer_phone = models.TextField("phone", blank=True)
    shipping_name = models.TextField("ship to", blank=True)
    shipping_line1 = models.TextField("address line 1", blank=True)
    shipping_line2 = models.TextField("address line 2", blank=True)
    shipping_city = models.TextField("city", blank=True)
    shipping_postal_code = models.TextField("postal code", blank=True)
    shipping_state = models.TextField("state", blank=True)
    shipping_country = models.TextField("country", blank=True)
    # What staff did with a paid order: ship it, see it delivered (fulfilment.py).
    fulfilment = models.CharField(
        max_length=12, choices=Fulfilment.choices, default=Fulfilment.UNFULFILLED, db_index=True
    )
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The sum of this order's succeeded refunds, kept with them (store.refunds).
    amount_refunded = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=255, blank=True)
    # Something a person must look at: Stripe's payment disagrees with the order, or money
    # arrived for an order that had ended. Set by the payment flow, cleared by nobody.
    needs_attention = models.BooleanField(default=False, db_index=True)
    attention_reason = models.CharField("needs attention because", max_length=255, blank=True)
    # The cardholder's bank disputes the payment (open, lost or prevented): it must not ship.
    # Kept with the order's disputes (store.payments.disputes) so shipping is one
    # conditional UPDATE on this row.
    disputed = models.BooleanField(default=False)
    # A request is creating the Checkout Session (with the order's idempotency key) since then:
    # others wait for it, or reuse the key once the longest Stripe call has passed.
    checkout_started_at = models.DateTimeField(null=True, blank=True)
    # The shopper cancelled: Stripe is being (or could not be) told; reconcile finishes it.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # When the Checkout Session expires; until then a pending order holds its units.
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    # Stripe completed the checkout with a payment that settles later (a bank debit):
    # the order stays pending and keeps holding its units until it succeeds or fails.
    payment_processing = models.BooleanField(default=False)
    # The shopper came back from Stripe's page (the success URL): reconcile asks Stripe about
    # the order, never expires it unasked (store.payments.overdue).
    returned_from_stripe_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("fulfil_order", "Can fulfil orders"),
            ("refund_order", "Can refund orders"),
        ]
        indexes = [
            # The admin listing sorted by a column, ties broken by id (store.order_queries).
            # PostgreSQL also gets trigram indexes for its search (migration 0013).
            models.Index(fields=["status", "id"], name="store_order_status_sort"),
            models.Index(fields=["fulfilment", "id"], name="store_order_fulfilment_sort"),
            models.Index(fields=["amount_total", "id"], name="store_order_total_sort"),
            # The admin's search by PaymentIntent id (the session id is unique already).
            models.Index(fields=["stripe_payment_intent_id"], name="store_order_payment_intent"),
            # The listing's "Disputed" filter: few orders, so a partial index.
            models.Index(
                fields=["id"], condition=models.Q(disputed=True), name="store_order_disputed"
            ),
            # The units one client holds: its pending orders (store.holding_limits).
            models.Index(
                fields=["client_network"],
                condition=models.Q(status="pending"),
                name="store_order_pending_client",
            ),
            # The sales panel's paid orders of the last days (store.reports).
            models.Index(
                fields=["paid_at"],
                condition=models.Q(status="paid"),
                name="store_order_paid_at_sales",
            ),
        ]

    def __str__(self) -> str:
        return f"Order #{self.number}"

    @property
    def number(self) -> int:
        return self.pk

    @property
    def display_total(self) -> str:
        return money.format_amount(self.amount_total, self.currency)

    @property
    def charge_rows(self) -> list[tuple[str, str]]:
        """Subtotal, discount (with its code) and shipping (with its rate), as receipts list
        them above the total; none when the total is simply the lines (no discount, no rate)."""
        if not (self.amount_discount or self.amount_shipping or self.shipping_rate_name):
            return []
        rows = [("Subtotal", money.format_amount(self.amount_subtotal, self.currency))]
        if self.amount_discount:
            label = f"Discount ({self.discount_code})" if self.discount_code else "Discount"
            rows.append((label, "−" + money.format_amount(self.amount_discount, self.currency)))
        label = f"Shipping ({self.shipping_rate_name})" if self.shipping_rate_name else "Shipping"
        shipping = money.format_amount(self.amount_shipping, self.currency)
        rows.append((label, shipping if self.amount_shipping else "Free"))
        return rows

    @property
    def display_refunded(self) -> str:
        return money.format_amount(self.amount_refunded, self.currency)

    @property
    def refund_state(self) -> str:
        """ "Refunded", "Partially refunded", or "" when nothing was given back."""
        if not self.amount_refunded:
            return ""
        return "Refunded" if self.amount_refunded >= self.amount_total else "Partially refunded"

    @property
    def payment_display(self) -> str:
        """The status as staff read it: "Refunded" or "Partially refunded" in place of "Paid"."""
        if self.status == self.Status.PAID and self.refund_state:
            return self.refund_state
        return self.get_status_display()

    @property
    def total_in_major_units(self) -> Decimal:
        """1250.00 for ₹1,250.00: for exports that spreadsheets can sum."""
        return money.to_major(self.amount_total, self.currency)

    @property
    def refunded_in_major_units(self) -> Decimal:
        return money.to_major(self.amount_refunded, self.currency)

    @property
    def lines_summary(self) -> str:
        return "; ".join(str(line) for line in self.lines.all())

    @property
    def shopper_status(self) -> str:
        """Where the order stands, as My Orders tells the shopper."""
        if self.status == self.Status.PAID:
            if self.refund_state == "Refunded":
                return "Refunded"
            if self.fulfilment == self.Fulfilment.UNFULFILLED:
                return "Paid"
            return self.get_fulfilment_display()
        if self.status == self.Status.FAILED:
            return "Payment failed"
        if self.status == self.Status.CANCELLED:
            return "Cancelled"
        if self.status == self.Status.EXPIRED:
            return "Expired unpaid"
        if self.payment_processing:
            return "Payment processing"
        return "Confirming payment"

    @property
    def shipping_address(self) -> list[str]:
        """The address as lines for a label, an email or the admin, the state and country
        by name ("Maharashtra", "India"); empty when none."""
        city = " ".join(part for part in (self.shipping_city, self.shipping_postal_code) if part)
        lines = [
            self.shipping_name,
            self.shipping_line1,
            self.shipping_line2,
            city,
            places.state_name(self.shipping_country, self.shipping_state),
            places.country_name(self.shipping_country),
        ]
        return [line for line in lines if line]

    def ensure_status_token(self) -> str:
        """This order's status token, made now if it has none (orders from before links)."""
        if not self.status_token:
            Order.objects.filter(pk=self.pk, status_token="").update(
                status_token=new_status_token()
            )
            self.refresh_from_db(fields=["status_token"])
        return self.status_token

    def rotate_status_token(self) -> None:
        """Revoke every status link sent so far; the next email carries a new one."""
        self.status_token = new_status_token()
        Order.objects.filter(pk=self.pk).update(status_token=self.status_token)

    def attach_session(self, session_id: str, checkout_url: str) -> bool:
        """Record the Checkout Session; a racing double submission stores the same one."""
        updated = Order.objects.filter(
            pk=self.pk, status=self.Status.PENDING, stripe_session_id__isnull=True
        ).update(stripe_session_id=session_id, checkout_url=checkout_url, updated_at=timezone.now())
        if updated:
            self.stripe_session_id, self.checkout_url = session_id, checkout_url
        else:
            self.refresh_from_db(fields=["status", "stripe_session_id", "checkout_url"])
        return bool(updated)

    def claim_checkout_start(self, stale_before: datetime) -> bool:
        """Mark that this request creates the Checkout Session: False when another request
        marked it after ``stale_before`` (it is still waiting for Stripe), or the order
        has its session or is no longer pending."""
        now = timezone.now()
        updated = (
            Order.objects.filter(pk=self.pk, status=self.Status.PENDING, stripe_session_id=None)
            .filter(
                models.Q(checkout_started_at=None) | models.Q(checkout_started_at__lt=stale_before)
            )
            .update(checkout_started_at=now, updated_at=now)
        )
        self.refresh_from_db()
        return bool(updated)

    def mark_paid(self, *, payment_intent_id: str, customer: dict[str, str], charged: dict) -> bool:
        """Pending (or ended, if Stripe still took the money) -> paid, exactly once.

        ``customer`` holds the CUSTOMER_FIELDS Stripe collected (email, address, phone);
        ``charged`` the CHARGED_FIELDS, as verified (store.payments.amounts).
        """
        now = timezone.now()
        updated = (
            Order.objects.filter(pk=self.pk)
            .exclude(status=self.Status.PAID)
            .update(
                status=self.Status.PAID,
                paid_at=now,
                updated_at=now,
                stripe_payment_intent_id=payment_intent_id,
                failure_reason="",
                payment_processing=False,
                **_customer_fields(customer),
                **{name: charged[name] for name in CHARGED_FIELDS},
            )
        )
        return self._settled(updated)

    def mark_processing(self, *, payment_intent_id: str, customer: dict[str, str]) -> bool:
        """Checkout completed with a payment that settles later: keep holding, keep pending."""
        updated = Order.objects.filter(
            pk=self.pk, status=self.Status.PENDING, payment_processing=False
        ).update(
            payment_processing=True,
            stripe_payment_intent_id=payment_intent_id,
            updated_at=timezone.now(),
            **_customer_fields(customer),
        )
        return self._settled(updated)

    def mark_shipped(self, *, carrier: str = "", tracking_number: str = "") -> bool:
        """A paid order not shipped yet, neither disputed nor fully refunded -> shipped, with what
        the carrier calls it."""
        now = timezone.now()
        updated = Order.objects.filter(
            pk=self.pk,
            status=self.Status.PAID,
            fulfilment=self.Fulfilment.UNFULFILLED,
            disputed=False,
            amount_refunded__lt=models.F("amount_total"),
        ).update(
            fulfilment=self.Fulfilment.SHIPPED,
            carrier=carrier,
            tracking_number=tracking_number,
            shipped_at=now,
            updated_at=now,
        )
        return self._settled(updated)

    def mark_delivered(self) -> bool:
        now = timezone.now()
        updated = Order.objects.filter(pk=self.pk, fulfilment=self.Fulfilment.SHIPPED).update(
            fulfilment=self.Fulfilment.DELIVERED, delivered_at=now, updated_at=now
        )
        return self._settled(updated)

    def undo_fulfilment(self) -> bool:
        """A mistake: delivered -> shipped, or shipped -> not shipped (carrier and all)."""
        orders = Order.objects.filter(pk=self.pk)
        if self.fulfilment == self.Fulfilment.DELIVERED:
            updated = orders.filter(fulfilment=self.Fulfilment.DELIVERED).update(
                fulfilment=self.Fulfilment.SHIPPED, delivered_at=None, updated_at=timezone.now()
            )
        else:
            updated = orders.filter(fulfilment=self.Fulfilment.SHIPPED).update(
                fulfilment=self.Fulfilment.UNFULFILLED,
                carrier="",
                tracking_number="",
                shipped_at=None,
                updated_at=timezone.now(),
            )
        return self._settled(updated)

    def mark_cancelled(self) -> bool:
        return self._leave_pending(self.Status.CANCELLED)

    def request_cancel(self) -> bool:
        """Remember that the shopper cancelled, before Stripe is told; False if already asked."""
        updated = Order.objects.filter(
            pk=self.pk, status=self.Status.PENDING, cancel_requested_at__isnull=True
        ).update(cancel_requested_at=timezone.now(), updated_at=timezone.now())
        self.refresh_from_db(fields=["cancel_requested_at"])
        return bool(updated)

    def flag_for_attention(self, reason: str) -> None:
        Order.objects.filter(pk=self.pk).update(
            needs_attention=True, attention_reason=reason[:255], updated_at=timezone.now()
        )
        self.refresh_from_db(fields=["needs_attention", "attention_reason"])

    def mark_expired(self) -> bool:
        return self._leave_pending(self.Status.EXPIRED)

    def mark_failed(self, reason: str) -> bool:
        return self._leave_pending(self.Status.FAILED, failure_reason=reason[:255])

    def note_return_from_stripe(self) -> None:
        """The shopper is back on the success URL: whatever Stripe says, this order is asked."""
        Order.objects.filter(
            pk=self.pk, status=self.Status.PENDING, returned_from_stripe_at=None
        ).update(returned_from_stripe_at=timezone.now())

    def _leave_pending(self, status: str, **fields) -> bool:
        """Only pending orders end this way; a paid order never changes back."""
        updated = Order.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
            **_ending(status, **fields)
        )
        return self._settled(updated)

    def _settled(self, updated: int) -> bool:
        """After a conditional UPDATE: the row as it is now, and whether this call changed it."""
        self.refresh_from_db()
        return bool(updated)


def _ending(status: str, **fields) -> dict:
    """What a pending order's row becomes when it ends unpaid: its basket may be posted again."""
    return {
        "status": status,
        "checkout_key": None,
        "payment_processing": False,
        "updated_at": timezone.now(),
        **fields,
    }


# What Stripe's Checkout collects about the customer, as Order fields.
CUSTOMER_FIELDS = (
    "customer_email",
    "customer_name",
    "customer_phone",
    "shipping_name",
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_postal_code",
    "shipping_state",
    "shipping_country",
)


# What Stripe charged, part by part, as Order fields.
CHARGED_FIELDS = (
    "amount_subtotal",
    "amount_discount",
    "amount_shipping",
    "amount_total",
    "discount_code",
    "shipping_rate_name",
)


def _customer_fields(customer: dict[str, str]) -> dict[str, str]:
    """Only the customer fields, whole but for NUL characters, which PostgreSQL cannot store."""
    return {
        name: (customer[name] or "").replace("\x00", "")
        for name in CUSTOMER_FIELDS
        if name in customer
    }


class OrderLine(models.Model):
    """What was bought, as it was at checkout: later edits to the product change nothing here."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The variant bought (its stock holds and moves), and what it was called at purchase.
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_name = models.CharField(max_length=100)
    variant_name = models.CharField(max_length=160, blank=True)
    sku = models.CharField("SKU", max_length=64, blank=True)
    option_values = models.JSONField(default=dict, blank=True)
    unit_amount = models.PositiveIntegerField(help_text="In the currency's minor unit.")
    quantity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def name(self) -> str:
        """ "T-Shirt — M / Blue" as it was at purchase; "Cap" for a product without options."""
        return line_name(self.product_name, self.variant_name)

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity

    @property
    def display_unit_amount(self) -> str:
        return money.format_amount(self.unit_amount, self.order.currency)

    @property
    def display_amount(self) -> str:
        return money.format_amount(self.amount, self.order.currency)
