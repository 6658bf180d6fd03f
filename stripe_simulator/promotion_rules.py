"""What Stripe refuses in shipping rate, coupon and promotion code requests (no state needed).

Checks that need the account's objects (a coupon that exists, a code already in
use) live in ``promotions``. Parameters Stripe accepts but the simulator does not
model (``applies_to``, ``currency_options``, customers) are refused, not ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stripe.params import (
    CouponCreateParams,
    CouponUpdateParams,
    PromotionCodeCreateParams,
    PromotionCodeListParams,
    PromotionCodeUpdateParams,
    ShippingRateCreateParams,
    ShippingRateListParams,
)

from stripe_simulator import currencies
from stripe_simulator.wire import (
    DEFAULT_LIST_LIMIT,
    MAX_LIST_LIMIT,
    conform,
    invalid,
    metadata_of,
    missing,
    reject_expand,
    unsupported,
)

DELIVERY_UNITS = ("business_day", "day", "hour", "month", "week")
COUPON_DURATIONS = ("forever", "once", "repeating")
MAX_COUPON_NAME_LENGTH = 40
MAX_COUPON_ID_LENGTH = 50
# Stripe: "Valid characters are lower case letters (a-z), upper case letters (A-Z), and digits."
PROMOTION_CODE = re.compile(r"[A-Za-z0-9]{1,500}")


@dataclass(frozen=True)
class ShippingRateRequest:
    display_name: str
    amount: int
    currency: str
    delivery_estimate: dict[str, Any] | None
    metadata: dict[str, str]
    tax_behavior: str
    tax_code: str | None


@dataclass(frozen=True)
class CouponRequest:
    id: str | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    duration: str
    duration_in_months: int | None
    max_redemptions: int | None
    redeem_by: int | None
    name: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class PromotionCodeRequest:
    coupon: str
    code: str | None
    active: bool
    max_redemptions: int | None
    expires_at: int | None
    minimum_amount: int | None
    minimum_amount_currency: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class Update:
    """An update: the fields given (``metadata`` merged key by key, as Stripe does)."""

    fields: dict[str, Any]
    metadata: dict[str, str] | None  # None: not given; {} after ``metadata=``: cleared


@dataclass(frozen=True)
class PromotionCodeQuery:
    code: str | None
    active: bool | None
    coupon: str | None
    limit: int


# --- Shipping rates --------------------------------------------------------------------


def shipping_rate_request(params: dict[str, Any]) -> ShippingRateRequest:
    params = conform(params, ShippingRateCreateParams)
    reject_expand(params)
    return shipping_rate_data(params, "")


def shipping_rate_data(data: dict[str, Any], param: str) -> ShippingRateRequest:
    """A conformed ``shipping_rate_data`` (or shipping rate create request), checked."""

    def name(*keys: str) -> str:
        head, *rest = (param, *keys) if param else keys
        return head + "".join(f"[{key}]" for key in rest)

    if "fixed_amount" not in data:
        raise missing(name("fixed_amount"))
    fixed = data["fixed_amount"]
    if "currency_options" in fixed:
        raise unsupported(name("fixed_amount", "currency_options"), "currency_options")
    if fixed["amount"] < 0:
        raise invalid(
            name("fixed_amount", "amount"), "This value must be greater than or equal to 0."
        )
    currency = fixed["currency"].lower()
    if not currencies.is_supported(currency):
        raise invalid(name("fixed_amount", "currency"), f"Invalid currency: {currency}.")
    return ShippingRateRequest(
        display_name=data["display_name"],
        amount=fixed["amount"],
        currency=currency,
        delivery_estimate=_delivery_estimate(data.get("delivery_estimate"), name),
        metadata=metadata_of(data.get("metadata"), name("metadata")),
        tax_behavior=data.get("tax_behavior", "unspecified"),
        tax_code=data.get("tax_code"),
    )


def _delivery_estimate(estimate: dict[str, Any] | None, name) -> dict[str, Any] | None:
    if estimate is None:
        return None
    shaped = {}
    for end in ("maximum", "minimum"):
        bound = estimate.get(end)
        if bound is not None:
            if bound["unit"] not in DELIVERY_UNITS:
                unit = name("delivery_estimate", end, "unit")
                raise invalid(unit, f"Invalid {unit}: must be one of {', '.join(DELIVERY_UNITS)}")
            if bound["value"] < 1:
                raise invalid(
                    name("delivery_estimate", end, "value"),
                    "This value must be greater than or equal to 1.",
                )
            bound = {"unit": bound["unit"], "value": bound["value"]}
        shaped[end] = bound
    return shaped


def shipping_rate_list_limit(params: dict[str, Any]) -> int:
    params = conform(params, ShippingRateListParams)
    reject_expand(params)
    for name in sorted(set(params) - {"limit"}):
        raise unsupported(name, f"listing shipping rates by {name}")
    return _limit(params)


# --- Coupons -----------------------------------------------------------------------------


def coupon_request(params: dict[str, Any], now: float) -> CouponRequest:
    params = conform(params, CouponCreateParams)
    reject_expand(params)
    for name in ("applies_to", "currency_options"):
        if name in params:
            raise unsupported(name, f"coupons with {name}")
    percent_off, amount_off = params.get("percent_off"), params.get("amount_off")
    if percent_off is None and amount_off is None:
        raise invalid("percent_off", "You must pass either `amount_off` or `percent_off`.")
    if percent_off is not None and amount_off is not None:
        raise invalid(
            "amount_off", "You may only specify one of these parameters: amount_off, percent_off."
        )
    if percent_off is not None and not 0 < percent_off <= 100:
        raise invalid("percent_off", "Invalid percent_off: must be greater than 0 and at most 100.")
    currency = params.get("currency")
    if amount_off is not None:
        if amount_off < 1:
            raise invalid("amount_off", "Invalid positive integer", "parameter_invalid_integer")
        if currency is None:
            raise missing("currency")
        currency = currency.lower()
        if not currencies.is_supported(currency):
            raise invalid("currency", f"Invalid currency: {currency}.")
    duration = params.get("duration", "once")
    if duration not in COUPON_DURATIONS:
        raise invalid("duration", f"Invalid duration: must be one of {', '.join(COUPON_DURATIONS)}")
    months = params.get("duration_in_months")
    if duration == "repeating" and months is None:
        raise missing("duration_in_months")
    if duration != "repeating" and months is not None:
        raise invalid(
            "duration_in_months",
            "You can only pass duration_in_months when duration is set to repeating.",
        )
    coupon_id = params.get("id")
    if coupon_id is not None and len(coupon_id) > MAX_COUPON_ID_LENGTH:
        raise invalid("id", f"Invalid id: must be at most {MAX_COUPON_ID_LENGTH} characters")
    redeem_by = params.get("redeem_by")
    if redeem_by is not None and redeem_by <= now:
        raise invalid("redeem_by", "Redeem by date must be in the future.")
    return CouponRequest(
        id=coupon_id,
        percent_off=percent_off,
        amount_off=amount_off,
        currency=currency,
        duration=duration,
        duration_in_months=months,
        max_redemptions=_positive(params, "max_redemptions"),
        redeem_by=redeem_by,
        name=_coupon_name(params),
        metadata=metadata_of(params.get("metadata"), "metadata"),
    )


def coupon_update(params: dict[str, Any]) -> Update:
    """Stripe lets a coupon's name and metadata change; its terms never do."""
    params = conform(params, CouponUpdateParams)
    reject_expand(params)
    if "currency_options" in params:
        raise unsupported("currency_options", "coupons with currency_options")
    fields = {"name": _coupon_name(params)} if "name" in params else {}
    return Update(fields, _metadata_update(params))


def _coupon_name(params: dict[str, Any]) -> str | None:
    name = params.get("name")
    if name is not None and len(name) > MAX_COUPON_NAME_LENGTH:
        raise invalid("name", f"Invalid name: must be at most {MAX_COUPON_NAME_LENGTH} characters")
    return name


# --- Promotion codes ---------------------------------------------------------------------


def promotion_code_request(params: dict[str, Any], now: float) -> PromotionCodeRequest:
    params = conform(params, PromotionCodeCreateParams)
    reject_expand(params)
    for name in ("customer", "customer_account"):
        if name in params:
            raise unsupported(name, f"promotion codes with {name}")
    if "coupon" not in params["promotion"]:
        raise missing("promotion[coupon]")
    code = params.get("code")
    if code is not None and not PROMOTION_CODE.fullmatch(code):
        raise invalid(
            "code",
            "Invalid code: valid characters are lower case letters (a-z), upper case letters "
            "(A-Z), and digits (0-9).",
        )
    expires_at = params.get("expires_at")
    if expires_at is not None and expires_at <= now:
        raise invalid("expires_at", "The expiration date must be in the future.")
    restrictions = params.get("restrictions", {})
    if "currency_options" in restrictions:
        raise unsupported("restrictions[currency_options]", "restrictions[currency_options]")
    if restrictions.get("first_time_transaction"):
        # Checkout knows a first-time customer from its Customer object; the simulator has none.
        raise unsupported(
            "restrictions[first_time_transaction]", "restrictions[first_time_transaction]"
        )
    minimum = restrictions.get("minimum_amount")
    minimum_currency = restrictions.get("minimum_amount_currency")
    if minimum is not None and minimum_currency is None:
        raise missing("restrictions[minimum_amount_currency]")
    if minimum is not None and minimum < 0:
        raise invalid(
            "restrictions[minimum_amount]", "This value must be greater than or equal to 0."
        )
    return PromotionCodeRequest(
        coupon=params["promotion"]["coupon"],
        code=code,
        active=params.get("active", True),
        max_redemptions=_positive(params, "max_redemptions"),
        expires_at=expires_at,
        minimum_amount=minimum,
        minimum_amount_currency=minimum_currency.lower() if minimum_currency else None,
        metadata=metadata_of(params.get("metadata"), "metadata"),
    )


def promotion_code_update(params: dict[str, Any]) -> Update:
    """Stripe lets ``active``, metadata and per-currency restrictions change; nothing else."""
    params = conform(params, PromotionCodeUpdateParams)
    reject_expand(params)
    if "restrictions" in params:
        raise unsupported("restrictions[currency_options]", "restrictions[currency_options]")
    fields = {"active": params["active"]} if "active" in params else {}
    return Update(fields, _metadata_update(params))


def promotion_code_query(params: dict[str, Any]) -> PromotionCodeQuery:
    params = conform(params, PromotionCodeListParams)
    reject_expand(params)
    for name in sorted(set(params) - {"code", "active", "coupon", "limit"}):
        raise unsupported(name, f"listing promotion codes by {name}")
    return PromotionCodeQuery(
        code=params.get("code"),
        active=params.get("active"),
        coupon=params.get("coupon"),
        limit=_limit(params),
    )


# --- Shared --------------------------------------------------------------------------------


def _positive(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is not None and value < 1:
        raise invalid(name, "This value must be greater than or equal to 1.")
    return value


def _limit(params: dict[str, Any]) -> int:
    limit = params.get("limit", DEFAULT_LIST_LIMIT)
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise invalid("limit", "This value must be between 1 and 100.")
    return limit


def _metadata_update(params: dict[str, Any]) -> dict[str, str] | None:
    if "metadata" not in params:
        return None
    metadata = params["metadata"] or {}
    metadata_of(metadata, "metadata")  # Stripe's limits on keys and values
    return metadata
