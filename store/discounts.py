"""Discount codes at checkout: whether Stripe's page offers a code box, and what discount
a paid Checkout Session should carry, from the terms of the code the shopper used.

Stripe applies the code on its page; the paid transition checks the session's
discount against :func:`expected_discount`. Stripe cannot limit uses per customer
email on its page (it knows no customer before payment), so that limit is checked
at the paid transition, in its transaction (:func:`per_email_problem`): an order
past it is flagged for staff, not marked paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from store import advisory_locks, money
from store.models import DiscountCode, DiscountCodeTerms, Order
from store.payments.stripe_fields import object_id, optional


@dataclass(frozen=True)
class ExpectedDiscount:
    """The code a session used, the discount the shop expects, and why it is not allowed
    (empty: it is). No code: ``ExpectedDiscount("", 0)``."""

    code: str
    amount: int
    problem: str = ""


def paid_uses(code: str) -> QuerySet[Order]:
    """The paid orders that used ``code`` (any version of its terms)."""
    return Order.objects.filter(status=Order.Status.PAID, discount_code__iexact=code)


def codes_on_offer(now: datetime | None = None) -> bool:
    """Whether any code is live at Stripe: then Checkout shows its promotion-code box."""
    now = now or timezone.now()
    return (
        DiscountCodeTerms.objects.filter(
            retired_at__isnull=True,
            active_at_stripe=True,
            stripe_promotion_code_id__isnull=False,
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .exists()
    )


def expected_discount(session, amount_subtotal: int, currency: str) -> ExpectedDiscount:
    """The discount ``session`` should carry on the shop's ``amount_subtotal``, computed as
    Stripe does from the terms of the code it names, as they were when it was created."""
    discounts = optional(session, "discounts") or []
    if not discounts:
        return ExpectedDiscount("", 0)
    if len(discounts) > 1:
        return ExpectedDiscount("", 0, f"{len(discounts)} discounts; the shop offers one code")
    promotion_code = object_id(optional(discounts[0], "promotion_code"))
    coupon = object_id(optional(discounts[0], "coupon"))
    terms = _terms_named(promotion_code, coupon)
    if terms is None:
        unknown = promotion_code or coupon or "without an id"
        return ExpectedDiscount("", 0, f"discount {unknown} is not one of the shop's codes")
    amount = terms.discount_on(amount_subtotal)
    problems = _refusals(terms, session, amount_subtotal, currency)
    return ExpectedDiscount(terms.code, amount, "; ".join(problems))


def _terms_named(promotion_code: str | None, coupon: str | None) -> DiscountCodeTerms | None:
    """The version whose promotion code (and coupon, if the session names one) these are."""
    if promotion_code:
        terms = DiscountCodeTerms.objects.filter(stripe_promotion_code_id=promotion_code).first()
        if terms and coupon and terms.stripe_coupon_id != coupon:
            return None
        return terms
    if coupon:
        return DiscountCodeTerms.objects.filter(stripe_coupon_id=coupon).first()
    return None


def _refusals(terms: DiscountCodeTerms, session, amount_subtotal: int, currency: str) -> list[str]:
    """Why the code's terms did not allow this session's discount; empty when they did."""
    problems = []
    code = terms.code
    if terms.kind == DiscountCode.Kind.FIXED and terms.currency != currency.lower():
        problems.append(
            f"code {code} is in {terms.currency.upper()}, the order in {currency.upper()}"
        )
    if terms.minimum_subtotal and amount_subtotal < terms.minimum_subtotal:
        minimum = money.format_amount(terms.minimum_subtotal, terms.currency)
        problems.append(f"code {code} needs a subtotal of at least {minimum}")
    created = optional(session, "created")
    if created is not None:
        created_at = datetime.fromtimestamp(created, tz=UTC)
        starts_at = terms.discount_code.starts_at
        if starts_at and created_at < starts_at:
            problems.append(f"code {code} had not started when the checkout began")
        if terms.ends_at and created_at >= terms.ends_at:
            problems.append(f"code {code} had ended when the checkout began")
    return problems


def per_email_problem(code: str, email: str) -> str:
    """Why ``email`` may not use ``code`` once more (its per-email limit); empty if it may.

    Call in the transaction that marks the order paid: the lock makes a second payment by the
    same email count after the first one commits, so two at once cannot both pass.
    """
    discount_code = DiscountCode.objects.filter(code__iexact=code).first()
    limit = discount_code.max_uses_per_email if discount_code else None
    if limit is None or not email:
        return ""
    advisory_locks.lock(f"discount-code:{code.upper()}:{email.lower()}")
    used = paid_uses(code).filter(customer_email__iexact=email).count()
    if used < limit:
        return ""
    return f"code {code} was already used {used} times by {email} (limit {limit})"
