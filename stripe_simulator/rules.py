"""What Stripe refuses: Checkout Session and refund requests, and the hosted page's form.

Validation here needs no state, so a refused request changes nothing and is
not saved for its idempotency key. Rules that depend on state (a session that
is no longer open, a charge already refunded) live with that state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from stripe.params import RefundCreateParams, RefundListParams
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsShippingAddressCollection

from stripe_simulator import currencies
from stripe_simulator.money import format_amount, format_amount_with_code
from stripe_simulator.promotion_rules import ShippingRateRequest, shipping_rate_data
from stripe_simulator.wire import (
    DEFAULT_LIST_LIMIT,
    MAX_LIST_LIMIT,
    conform,
    invalid,
    literal_values,
    metadata_of,
    missing,
    reject_expand,
    unsupported,
)

SESSION_LIFETIME = 24 * 60 * 60  # Stripe's default and maximum expires_at, seconds
MIN_SESSION_LIFETIME = 30 * 60  # Stripe's minimum expires_at, seconds
MAX_LINE_ITEMS = 100  # in payment mode
MAX_SHIPPING_OPTIONS = 5
HOSTED_UI_MODE = "hosted_page"  # the API version's name for the redirect flow
MAX_CLIENT_REFERENCE_ID_LENGTH = 200
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
SHIPPING_COUNTRIES = literal_values(
    SessionCreateParamsShippingAddressCollection, "allowed_countries"
)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Line:
    """One line of a Checkout Session, as the shop sent it in ``price_data``."""

    name: str
    quantity: int
    unit_amount: int
    currency: str

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class ShippingOption:
    """One of ``shipping_options``: an existing rate's id, or the data for a new rate."""

    shipping_rate: str | None
    shipping_rate_data: ShippingRateRequest | None


@dataclass(frozen=True)
class Discount:
    """One of ``discounts``: a coupon's id or a promotion code's id (``promo_...``)."""

    coupon: str | None
    promotion_code: str | None


@dataclass(frozen=True)
class SessionRequest:
    """A Checkout Session create request that Stripe would accept."""

    mode: str
    lines: tuple[Line, ...]
    currency: str
    total: int
    success_url: str
    cancel_url: str | None
    expires_at: int
    metadata: dict[str, str]
    client_reference_id: str | None
    shipping_countries: tuple[str, ...] | None
    collects_phone: bool
    payment_intent_metadata: dict[str, str]
    shipping_options: tuple[ShippingOption, ...] = ()
    allow_promotion_codes: bool | None = None
    discounts: tuple[Discount, ...] = ()


@dataclass(frozen=True)
class RefundRequest:
    payment_intent: str | None
    charge: str | None
    amount: int | None
    reason: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class ListRequest:
    limit: int
    starting_after: str | None
    ending_before: str | None
    payment_intent: str | None
    charge: str | None


# --- Checkout Sessions ----------------------------------------------------------------


def session_request(params: dict[str, Any], now: float) -> SessionRequest:
    """Check a create request as Stripe does; ``now`` is the simulator's clock on arrival."""
    params = conform(params, SessionCreateParams)
    _check_modelled(params)
    lines = _checkout_lines(params)
    currency = lines[0].currency
    total = sum(line.amount for line in lines)
    _check_total(total, currency)
    metadata = metadata_of(params.get("metadata"), "metadata")
    client_reference_id = params.get("client_reference_id")
    if len(client_reference_id or "") > MAX_CLIENT_REFERENCE_ID_LENGTH:
        raise invalid("client_reference_id", "client_reference_id can be at most 200 characters.")
    intent_data = params.get("payment_intent_data", {})
    if set(intent_data) - {"metadata"}:
        raise unsupported("payment_intent_data", "payment_intent_data other than metadata")
    return SessionRequest(
        mode=params["mode"],
        lines=lines,
        currency=currency,
        total=total,
        success_url=_url(params, "success_url", required=True),
        cancel_url=_url(params, "cancel_url", required=False),
        expires_at=_expires_at(params, int(now)),
        metadata=metadata,
        client_reference_id=client_reference_id,
        shipping_countries=_shipping_countries(params),
        collects_phone=params.get("phone_number_collection", {}).get("enabled", False),
        payment_intent_metadata=metadata_of(
            intent_data.get("metadata"), "payment_intent_data[metadata]"
        ),
        shipping_options=_shipping_options(params),
        allow_promotion_codes=params.get("allow_promotion_codes"),
        discounts=_discounts(params),
    )


def _check_modelled(params: dict[str, Any]) -> None:
    """Refuse, rather than ignore, what Stripe accepts but the simulator does not model."""
    if "mode" not in params:
        raise missing("mode")
    if params["mode"] != "payment":
        raise unsupported("mode", "modes other than mode=payment")
    if params.get("ui_mode", HOSTED_UI_MODE) != HOSTED_UI_MODE:
        raise unsupported("ui_mode", f"ui_mode other than {HOSTED_UI_MODE}")
    reject_expand(params)


def _checkout_lines(params: dict[str, Any]) -> tuple[Line, ...]:
    items = params.get("line_items")
    if not items:
        raise missing("line_items")
    if len(items) > MAX_LINE_ITEMS:
        raise invalid(
            "line_items",
            f"You can specify at most {MAX_LINE_ITEMS} line items in payment mode; "
            f"you specified {len(items)}.",
        )
    lines = tuple(_checkout_line(item, f"line_items[{index}]") for index, item in enumerate(items))
    if len({line.currency for line in lines}) > 1:
        raise invalid("line_items", "All line items must use the same currency.")
    return lines


def _checkout_line(item: dict[str, Any], param: str) -> Line:
    price_data = item.get("price_data")
    if price_data is None:
        raise unsupported(f"{param}[price_data]", f"line items without {param}[price_data]")
    if "product_data" not in price_data:
        raise missing(f"{param}[price_data][product_data]")
    if "unit_amount" not in price_data:
        raise missing(f"{param}[price_data][unit_amount]")
    if price_data["unit_amount"] < 0:
        raise invalid(
            f"{param}[price_data][unit_amount]", "This value must be greater than or equal to 0."
        )
    if "quantity" not in item:
        raise missing(f"{param}[quantity]")
    if item["quantity"] < 1:
        raise invalid(f"{param}[quantity]", "This value must be greater than or equal to 1.")
    currency = price_data["currency"].lower()
    if not currencies.is_supported(currency):
        raise invalid(
            f"{param}[price_data][currency]",
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(currencies.SUPPORTED)),
        )
    return Line(
        name=price_data["product_data"]["name"],
        quantity=item["quantity"],
        unit_amount=price_data["unit_amount"],
        currency=currency,
    )


def _check_total(total: int, currency: str) -> None:
    lowest = currencies.minimum_charge(currency)
    if total < lowest:
        raise invalid(
            "line_items",
            "The Checkout Session's total amount due must add up to at least "
            f"{format_amount_with_code(lowest, currency)}.",
            "amount_too_small",
        )
    highest = currencies.maximum_amount(currency)
    if total > highest:
        raise invalid(
            "line_items",
            "The Checkout Session's total amount due must be no more than "
            f"{format_amount_with_code(highest, currency)}.",
            "amount_too_large",
        )


def _url(params: dict[str, Any], name: str, *, required: bool) -> str | None:
    if name not in params:
        if required:
            raise missing(name)
        return None
    url = params[name]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        raise invalid(name, "Not a valid URL", "url_invalid")
    return url


def _expires_at(params: dict[str, Any], now: int) -> int:
    expires_at = params.get("expires_at", now + SESSION_LIFETIME)
    if not now + MIN_SESSION_LIFETIME <= expires_at <= now + SESSION_LIFETIME:
        raise invalid(
            "expires_at",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours "
            "after the Checkout Session is created.",
        )
    return expires_at


def _shipping_countries(params: dict[str, Any]) -> tuple[str, ...] | None:
    if "shipping_address_collection" not in params:
        return None
    countries = params["shipping_address_collection"]["allowed_countries"]
    for index, country in enumerate(countries):
        if country not in SHIPPING_COUNTRIES:
            raise invalid(
                f"shipping_address_collection[allowed_countries][{index}]",
                f"Invalid shipping_address_collection[allowed_countries][{index}]: "
                f"{country} is not a country Stripe ships to.",
            )
    return tuple(countries)


def _shipping_options(params: dict[str, Any]) -> tuple[ShippingOption, ...]:
    options = params.get("shipping_options", [])
    if len(options) > MAX_SHIPPING_OPTIONS:
        raise invalid(
            "shipping_options",
            f"You can specify at most {MAX_SHIPPING_OPTIONS} shipping options; "
            f"you specified {len(options)}.",
        )
    checked = []
    for index, option in enumerate(options):
        param = f"shipping_options[{index}]"
        if ("shipping_rate" in option) == ("shipping_rate_data" in option):
            raise invalid(
                param,
                "You must specify exactly one of these parameters: "
                f"{param}[shipping_rate], {param}[shipping_rate_data].",
            )
        data = option.get("shipping_rate_data")
        checked.append(
            ShippingOption(
                shipping_rate=option.get("shipping_rate"),
                shipping_rate_data=(
                    shipping_rate_data(data, f"{param}[shipping_rate_data]") if data else None
                ),
            )
        )
    return tuple(checked)


def _discounts(params: dict[str, Any]) -> tuple[Discount, ...]:
    discounts = params.get("discounts", [])
    if discounts and "allow_promotion_codes" in params:
        raise invalid(
            "allow_promotion_codes",
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
        )
    if len(discounts) > 1:
        raise invalid("discounts", "You can only specify one discount per Checkout Session.")
    checked = []
    for index, discount in enumerate(discounts):
        param = f"discounts[{index}]"
        if ("coupon" in discount) == ("promotion_code" in discount):
            raise invalid(
                param,
                "You must specify exactly one of these parameters: "
                f"{param}[coupon], {param}[promotion_code].",
            )
        checked.append(Discount(discount.get("coupon"), discount.get("promotion_code")))
    return tuple(checked)


# --- Refunds ------------------------------------------------------------------------------


def refund_request(params: dict[str, Any]) -> RefundRequest:
    params = conform(params, RefundCreateParams)
    reject_expand(params)
    modelled = {"payment_intent", "charge", "amount", "reason", "metadata"}
    for name in sorted(set(params) - modelled):
        raise unsupported(name, f"refunds with {name}")
    if "payment_intent" not in params and "charge" not in params:
        raise invalid("payment_intent", "One of `charge` or `payment_intent` is required.")
    amount = params.get("amount")
    if amount is not None and amount <= 0:
        raise invalid("amount", "Invalid positive integer", "parameter_invalid_integer")
    reason = params.get("reason")
    if reason is not None and reason not in REFUND_REASONS:
        raise invalid(
            "reason",
            f"Invalid reason: must be one of {', '.join(REFUND_REASONS[:-1])}, "
            f"or {REFUND_REASONS[-1]}",
        )
    return RefundRequest(
        payment_intent=params.get("payment_intent"),
        charge=params.get("charge"),
        amount=amount,
        reason=reason,
        metadata=metadata_of(params.get("metadata"), "metadata"),
    )


def refundable_amount(requested: int | None, charge: dict) -> int:
    """The amount to refund: all that is left unless less is asked; Stripe's refusals otherwise."""
    left = charge["amount_captured"] - charge["amount_refunded"]
    if left <= 0:
        raise invalid(
            "charge", f"Charge {charge['id']} has already been refunded.", "charge_already_refunded"
        )
    if requested is None:
        return left
    if requested > left:
        currency = charge["currency"]
        raise invalid(
            "amount",
            f"Refund amount ({format_amount(requested, currency)}) is greater than unrefunded "
            f"amount on charge ({format_amount(left, currency)})",
            "amount_too_large",
        )
    return requested


def refund_list_request(params: dict[str, Any]) -> ListRequest:
    params = conform(params, RefundListParams)
    reject_expand(params)
    if "created" in params:
        raise unsupported("created", "listing refunds by created")
    limit = params.get("limit", DEFAULT_LIST_LIMIT)
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise invalid("limit", "This value must be between 1 and 100.")
    return ListRequest(
        limit=limit,
        starting_after=params.get("starting_after"),
        ending_before=params.get("ending_before"),
        payment_intent=params.get("payment_intent"),
        charge=params.get("charge"),
    )


# --- The hosted page's form ------------------------------------------------------------


@dataclass(frozen=True)
class ShopperDetails:
    """What a shopper types on the hosted page; the defaults are an Indian test shopper."""

    email: str = "shopper@example.com"
    name: str = "Asha Rao"
    line1: str = "12 MG Road"
    line2: str = ""
    city: str = "Bengaluru"
    postal_code: str = "560001"
    state: str = "KA"
    country: str = "IN"
    phone: str = "+91 98765 43210"

    def address(self) -> dict[str, str | None]:
        return {
            "city": self.city,
            "country": self.country,
            "line1": self.line1,
            "line2": self.line2 or None,
            "postal_code": self.postal_code,
            "state": self.state,
        }

    def phone_number(self) -> str:
        """E.164, as Stripe stores it: '+91 98765 43210' -> '+919876543210'."""
        return re.sub(r"[^\d+]", "", self.phone)


ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "state", "country")
MISSING_FIELD_MESSAGES = {
    "email": "Enter your email address, such as shopper@example.com.",
    "phone": "Enter your phone number.",
    "name": "Enter the full name for delivery.",
    "line1": "Enter the first line of the address.",
    "city": "Enter the city.",
    "postal_code": "Enter the PIN code.",
    "state": "Enter the state.",
    "country": "Choose a country.",
}


def details_problems(
    details: ShopperDetails, *, shipping_countries: tuple[str, ...] | None, collects_phone: bool
) -> dict[str, str]:
    """Field -> what is wrong with it; empty when Stripe's page would accept the details."""
    required = ["email"]
    if collects_phone:
        required.append("phone")
    if shipping_countries is not None:
        required.extend(ADDRESS_FIELDS)
    problems = {
        name: MISSING_FIELD_MESSAGES[name]
        for name in required
        if not getattr(details, name).strip()
    }
    if "email" not in problems and not EMAIL.fullmatch(details.email.strip()):
        problems["email"] = MISSING_FIELD_MESSAGES["email"]
    country_given = shipping_countries is not None and "country" not in problems
    if country_given and details.country not in shipping_countries:
        problems["country"] = (
            f"The shop does not deliver to {details.country}. "
            f"Choose one of: {', '.join(shipping_countries)}."
        )
    return problems
