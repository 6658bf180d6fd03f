"""Discount codes kept in step with Stripe's coupons and promotion codes.

A Stripe coupon's terms never change, so new terms get a new version row
(:func:`record_terms`, committed with the edit) and :func:`sync_with_stripe`
then, with no transaction open: creates the version's coupon, deactivates the
promotion codes of older versions (never deleting anything: orders refer to
them), creates the version's promotion code, and sets its ``active``. Each
answer is recorded as it comes. Each object is made once however often this
runs (a retry, a second save, ``sync_orders``): requests carry idempotency keys
derived from the version, the coupon's id is the version's own, and a promotion
code whose answer was lost is found again by its code. After a failure the next
attempt uses new keys, since Stripe replays a saved 5xx for a key forever. A
failure leaves the version "not yet at Stripe" with Stripe's message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from django.db import transaction
from django.utils import timezone

from store.discounts import paid_uses
from store.models import DiscountCode, DiscountCodeTerms
from store.payments.stripe_api import describe, stripe_client
from store.payments.stripe_fields import object_id, optional

logger = logging.getLogger(__name__)

# Names the shop's coupons and promotion codes (and their version) at Stripe.
TERMS_METADATA_KEY = "mini_store_discount_terms"


@dataclass(frozen=True)
class SyncResult:
    at_stripe: bool
    message: str = ""


def record_terms(discount_code: DiscountCode) -> DiscountCodeTerms:
    """The version for the code's current terms: the latest one, or a new one if they changed.

    Under the code's row lock, so the same edit submitted twice at once makes one version.
    """
    with transaction.atomic():
        DiscountCode.objects.select_for_update().get(pk=discount_code.pk)
        latest = discount_code.current_terms()
        if latest and latest.same_terms_as(discount_code):
            return latest
        remaining = None
        if discount_code.max_uses is not None:
            remaining = discount_code.max_uses - paid_uses(discount_code.code).count()
        return DiscountCodeTerms.objects.create(
            discount_code=discount_code,
            code=discount_code.code,
            currency=discount_code.currency,
            max_redemptions=remaining,
            **{name: getattr(discount_code, name) for name in DiscountCodeTerms.TERMS},
        )


def sync_with_stripe(discount_code: DiscountCode) -> SyncResult:
    """Bring Stripe in line with the code's latest version and its ``active``. Calls Stripe:
    never inside a transaction. Stripe's refusal or silence is recorded, not raised."""
    discount_code.refresh_from_db()
    current = discount_code.current_terms()
    if current is None:
        current = record_terms(discount_code)
    try:
        if not current.stripe_coupon_id:
            _record(current, stripe_coupon_id=_create_coupon(current).id)
        _retire_older_versions(discount_code, current)
        wanted = discount_code.offered_at_stripe()
        if not current.stripe_promotion_code_id:
            _find_or_create_promotion_code(current, wanted)
        if current.active_at_stripe != wanted:
            stripe_client().v1.promotion_codes.update(
                current.stripe_promotion_code_id, params={"active": wanted}
            )
            _record(current, active_at_stripe=wanted)
    except stripe.StripeError as error:
        logger.warning(
            "A discount code is not in step with Stripe: %s",
            error,
            extra={"discount_code": discount_code.code, "terms": str(current.public_id)},
        )
        message = describe(error)
        _record(current, sync_error=message, stripe_attempt=current.stripe_attempt + 1)
        return SyncResult(at_stripe=False, message=message)
    _record(current, sync_error="")
    return SyncResult(at_stripe=True)


def sync_discount_codes() -> tuple[int, int]:
    """Every code Stripe is behind on (not yet there, a start date reached, an old version
    still active); for ``sync_orders``. Returns (codes synced, codes still not in step)."""
    synced = failed = 0
    for discount_code in DiscountCode.objects.prefetch_related("versions"):
        if not needs_sync(discount_code):
            continue
        if sync_with_stripe(discount_code).at_stripe:
            synced += 1
        else:
            failed += 1
    return synced, failed


def needs_sync(discount_code: DiscountCode) -> bool:
    versions = sorted(discount_code.versions.all(), key=lambda v: (v.created_at, v.pk))
    if not versions:
        return True
    current, older = versions[-1], versions[:-1]
    return (
        not current.at_stripe
        or current.active_at_stripe != discount_code.offered_at_stripe()
        or any(version.retired_at is None for version in older)
    )


def _create_coupon(version: DiscountCodeTerms):
    """The version's coupon, made with the version's own id: if an earlier attempt made it
    (its answer lost), Stripe says so and the coupon is read instead."""
    params: dict = {
        "id": version.stripe_coupon_name,
        "duration": "once",
        "name": version.display_terms[:40],
        "metadata": {TERMS_METADATA_KEY: str(version.public_id)},
    }
    if version.kind == DiscountCode.Kind.PERCENT:
        params["percent_off"] = float(version.percent_off)
    else:
        params.update(amount_off=version.amount_off, currency=version.currency)
    if version.ends_at:
        params["redeem_by"] = int(version.ends_at.timestamp())
    if version.max_redemptions is not None:
        params["max_redemptions"] = version.max_redemptions
    try:
        return stripe_client().v1.coupons.create(
            params=params, options={"idempotency_key": version.idempotency_key("coupon")}
        )
    except stripe.InvalidRequestError as error:
        if error.code != "resource_already_exists":
            raise
        return stripe_client().v1.coupons.retrieve(version.stripe_coupon_name)


def _retire_older_versions(discount_code: DiscountCode, current: DiscountCodeTerms) -> None:
    """Deactivate (never delete) the promotion codes of the versions ``current`` replaced."""
    older = discount_code.versions.filter(retired_at__isnull=True).exclude(pk=current.pk)
    for version in older:
        if version.stripe_promotion_code_id:
            # Setting `active` is idempotent by itself: no key (a saved 5xx would stick to it).
            stripe_client().v1.promotion_codes.update(
                version.stripe_promotion_code_id, params={"active": False}
            )
        _record(version, active_at_stripe=False, retired_at=timezone.now())


def _find_or_create_promotion_code(current: DiscountCodeTerms, active: bool) -> None:
    """The version's promotion code: one made for its coupon whose answer was lost, or new.

    Any other active promotion code of this shop's with this code (an older version's whose
    answer was lost) is deactivated first: Stripe allows one active promotion code per code.
    """
    found = stripe_client().v1.promotion_codes.list(params={"code": current.code, "limit": 100})
    for promotion_code in found.data:
        if _coupon_of(promotion_code) == current.stripe_coupon_id:
            _record(
                current,
                stripe_promotion_code_id=promotion_code.id,
                active_at_stripe=promotion_code.active,
            )
            return
    for promotion_code in found.data:
        if promotion_code.active and optional(promotion_code, "metadata", TERMS_METADATA_KEY):
            stripe_client().v1.promotion_codes.update(promotion_code.id, params={"active": False})
    promotion_code = stripe_client().v1.promotion_codes.create(
        params=_promotion_code_params(current, active),
        options={"idempotency_key": current.idempotency_key("promotion-code")},
    )
    _record(
        current,
        stripe_promotion_code_id=promotion_code.id,
        active_at_stripe=promotion_code.active,
    )


def _promotion_code_params(version: DiscountCodeTerms, active: bool) -> dict:
    params: dict = {
        "code": version.code,
        "promotion": {"type": "coupon", "coupon": version.stripe_coupon_id},
        "active": active,
        "metadata": {TERMS_METADATA_KEY: str(version.public_id)},
    }
    if version.ends_at:
        params["expires_at"] = int(version.ends_at.timestamp())
    if version.max_redemptions is not None:
        params["max_redemptions"] = version.max_redemptions
    if version.minimum_subtotal:
        params["restrictions"] = {
            "minimum_amount": version.minimum_subtotal,
            "minimum_amount_currency": version.currency,
        }
    return params


def _coupon_of(promotion_code) -> str | None:
    """The coupon of a promotion code, in the current shape (``promotion.coupon``)."""
    return object_id(optional(promotion_code, "promotion", "coupon"))


def _record(version: DiscountCodeTerms, **answer) -> None:
    """Stripe's answer onto the version at once (one UPDATE), before anything else is asked."""
    DiscountCodeTerms.objects.filter(pk=version.pk).update(**answer)
    for name, value in answer.items():
        setattr(version, name, value)
