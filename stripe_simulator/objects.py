"""Stripe-shaped JSON objects: checkout.session, payment_intent, charge, refund, dispute,
early fraud warning, shipping rate, coupon, promotion code, list, event.

Each is built on the shape of Stripe's published example object (``shapes``): the
example's keys, no others but those Stripe adds when they apply, with the sample
values replaced by real ones. Functions here build objects; the state modules change them.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

import stripe

from stripe_simulator.currencies import payment_method_types
from stripe_simulator.promotion_rules import (
    CouponRequest,
    PromotionCodeRequest,
    ShippingRateRequest,
)
from stripe_simulator.rules import HOSTED_UI_MODE, SessionRequest, ShopperDetails
from stripe_simulator.shapes import shaped

ID_ALPHABET = string.ascii_letters + string.digits
# An event's ``request``: the API request that caused it; None when Stripe acted by itself.
EventRequest = dict[str, str | None] | None
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"

SESSION_DEFAULTS: dict[str, Any] = {
    "object": "checkout.session",
    "adaptive_pricing": {"enabled": False},
    "after_expiration": None,
    "allow_promotion_codes": None,
    "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
    "billing_address_collection": None,
    "client_secret": None,
    "collected_information": None,
    "consent": None,
    "consent_collection": None,
    "custom_fields": [],
    "custom_text": {
        "after_submit": None,
        "shipping_address": None,
        "submit": None,
        "terms_of_service_acceptance": None,
    },
    "customer": None,
    "customer_creation": "if_required",
    "customer_details": None,
    "customer_email": None,
    "discounts": [],
    "invoice": None,
    "invoice_creation": None,
    "livemode": False,
    "locale": None,
    "payment_intent": None,
    "payment_link": None,
    "payment_method_collection": "if_required",
    "payment_method_options": {},
    "payment_status": "unpaid",
    "recovered_from": None,
    "setup_intent": None,
    "shipping_cost": None,
    "shipping_options": [],
    "status": "open",
    "submit_type": None,
    "subscription": None,
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "ui_mode": HOSTED_UI_MODE,
}

EMPTY_ADDRESS = dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def checkout_session(
    session_id: str, request: SessionRequest, *, created: int, url: str
) -> dict[str, Any]:
    countries = request.shipping_countries
    return shaped(
        "checkout.session",
        SESSION_DEFAULTS
        | {
            "id": session_id,
            "allow_promotion_codes": request.allow_promotion_codes,
            "amount_subtotal": request.total,
            "amount_total": request.total,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.client_reference_id,
            "created": created,
            "currency": request.currency,
            "expires_at": request.expires_at,
            "metadata": dict(request.metadata),
            "mode": request.mode,
            "phone_number_collection": {"enabled": request.collects_phone},
            "shipping_address_collection": (
                {"allowed_countries": list(countries)} if countries is not None else None
            ),
            "payment_method_types": payment_method_types(request.currency),
            "success_url": request.success_url,
            "url": url,
        },
    )


def success_redirect_url(session: dict[str, Any]) -> str:
    """Where Stripe sends the browser after paying: success_url with the id filled in."""
    return session["success_url"].replace(SESSION_ID_PLACEHOLDER, session["id"])


def customer_details(
    details: ShopperDetails, *, collects_address: bool, collects_phone: bool
) -> dict[str, Any]:
    """``customer_details`` of a completed session, as API 2026-10-28 returns it."""
    return {
        "address": details.address() if collects_address else dict(EMPTY_ADDRESS),
        "business_name": None,
        "email": details.email.strip(),
        "individual_name": None,
        "name": details.name if collects_address else None,
        "phone": details.phone_number() if collects_phone else None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def collected_information(details: ShopperDetails, *, collects_address: bool) -> dict[str, Any]:
    shipping = {"name": details.name, "address": details.address()} if collects_address else None
    return {"business_name": None, "individual_name": None, "shipping_details": shipping}


def payment_intent(
    *,
    amount: int,
    currency: str,
    created: int,
    metadata: dict[str, str],
    method_type: str,
    shipping: dict[str, Any] | None,
) -> dict[str, Any]:
    """A PaymentIntent as Checkout leaves it once the shopper has paid (or started a debit)."""
    intent_id = new_id("pi")
    return shaped(
        "payment_intent",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "automatic_payment_methods": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{new_id('s')[2:]}",
            "confirmation_method": "automatic",
            "created": created,
            "currency": currency,
            "last_payment_error": None,
            "latest_charge": new_id("ch"),
            "managed_payments": {"enabled": False},
            "metadata": dict(metadata),
            "next_action": None,
            "payment_method": new_id("pm"),
            "payment_method_configuration_details": None,
            "payment_method_options": {},
            "payment_method_types": [method_type],
            "processing": None,
            "shipping": shipping,
            "source": None,
            "status": "processing",
            "transfer_data": None,
        },
    )


def charge(
    intent: dict[str, Any], refunds: list[dict[str, Any]], *, amount_refunded: int, disputed: bool
) -> dict[str, Any]:
    """The PaymentIntent's charge with its ``refunds`` (newest first)."""
    succeeded = intent["status"] == "succeeded"
    method_type = intent["payment_method_types"][0]
    charge_id = intent["latest_charge"]
    return shaped(
        "charge",
        {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount_received"],
            "amount_refunded": amount_refunded,
            "balance_transaction": new_id("txn") if succeeded else None,
            "captured": succeeded,
            "created": intent["created"],
            "currency": intent["currency"],
            "disputed": disputed,
            "fraud_details": {},
            "metadata": dict(intent["metadata"]),
            "outcome": {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            }
            if succeeded
            else None,
            "paid": succeeded,
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "payment_method_details": {"type": method_type, method_type: {}},
            "refunded": amount_refunded >= intent["amount_received"] > 0,
            "refunds": list_object(
                f"/v1/charges/{charge_id}/refunds", copy.deepcopy(refunds), has_more=False
            ),
            "shipping": copy.deepcopy(intent["shipping"]),
            "source": None,
            "status": "succeeded" if succeeded else "pending",
            "transfer_data": None,
        },
    )


def refund(
    intent: dict[str, Any],
    *,
    amount: int,
    created: int,
    reason: str | None,
    metadata: dict[str, str],
    status: str,
) -> dict[str, Any]:
    """A refund as made; ``failure_reason`` is added only if it fails, as Stripe does."""
    method_type = intent["payment_method_types"][0]
    destination = (
        {"card": {"type": "refund"}, "type": "card"}
        if method_type == "card"
        else {"type": method_type, method_type: {}}
    )
    return shaped(
        "refund",
        {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": intent["latest_charge"],
            "created": created,
            "currency": intent["currency"],
            "destination_details": destination,
            "metadata": dict(metadata),
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "reason": reason,
            "status": status,
        },
    )


def dispute(
    intent: dict[str, Any],
    *,
    amount: int,
    reason: str,
    created: int,
    evidence_due_by: int,
    names_payment_intent: bool,
) -> dict[str, Any]:
    """A dispute of the PaymentIntent's charge, waiting for the merchant's evidence.

    ``payment_intent`` is null for a charge made without one: the shop must then
    find it through the charge.
    """
    method_type = intent["payment_method_types"][0]
    return shaped(
        "dispute",
        {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": amount,
            "balance_transactions": [],
            "charge": intent["latest_charge"],
            "created": created,
            "currency": intent["currency"],
            "evidence_details": {
                "due_by": evidence_due_by,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "metadata": {},
            "payment_intent": intent["id"] if names_payment_intent else None,
            "payment_method_details": {"type": method_type, method_type: {}},
            "reason": reason,
            "status": "needs_response",
        },
    )


def early_fraud_warning(intent: dict[str, Any], *, created: int) -> dict[str, Any]:
    """Radar's warning that the card issuer reported the charge as fraud; no money moved yet."""
    return shaped(
        "radar.early_fraud_warning",
        {
            "id": new_id("issfr"),
            "object": "radar.early_fraud_warning",
            "actionable": True,
            "charge": intent["latest_charge"],
            "created": created,
            "fraud_type": "made_with_stolen_card",
        },
    )


def shipping_rate(request: ShippingRateRequest, *, created: int) -> dict[str, Any]:
    return shaped(
        "shipping_rate",
        {
            "id": new_id("shr"),
            "object": "shipping_rate",
            "active": True,
            "created": created,
            "delivery_estimate": request.delivery_estimate,
            "display_name": request.display_name,
            "fixed_amount": {"amount": request.amount, "currency": request.currency},
            "livemode": False,
            "metadata": dict(request.metadata),
            "tax_behavior": request.tax_behavior,
            "tax_code": request.tax_code,
            "type": "fixed_amount",
        },
    )


def coupon(request: CouponRequest, *, created: int) -> dict[str, Any]:
    """A coupon as created; ``valid`` and ``times_redeemed`` change as it is used and ages."""
    return shaped(
        "coupon",
        {
            "id": request.id or random_code(8),
            "object": "coupon",
            "amount_off": request.amount_off,
            "created": created,
            "currency": request.currency,
            "duration": request.duration,
            "duration_in_months": request.duration_in_months,
            "livemode": False,
            "max_redemptions": request.max_redemptions,
            "metadata": dict(request.metadata),
            "name": request.name,
            "percent_off": request.percent_off,
            "redeem_by": request.redeem_by,
            "times_redeemed": 0,
            "valid": True,
        },
    )


def promotion_code(request: PromotionCodeRequest, *, created: int) -> dict[str, Any]:
    """A promotion code in the API version's shape: its coupon under ``promotion``."""
    return shaped(
        "promotion_code",
        {
            "id": new_id("promo"),
            "object": "promotion_code",
            "active": request.active,
            "code": request.code or random_code(8),
            "created": created,
            "customer": None,
            "customer_account": None,
            "expires_at": request.expires_at,
            "livemode": False,
            "max_redemptions": request.max_redemptions,
            "metadata": dict(request.metadata),
            "promotion": {"coupon": request.coupon, "type": "coupon"},
            "restrictions": {
                "first_time_transaction": False,
                "minimum_amount": request.minimum_amount,
                "minimum_amount_currency": request.minimum_amount_currency,
            },
            "times_redeemed": 0,
        },
    )


def random_code(length: int) -> str:
    """What Stripe generates for a coupon id or a promotion code left unnamed: 'Z4OV52SU'."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def list_object(url: str, data: list[dict[str, Any]], *, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    created: int,
    request: EventRequest,
    pending_webhooks: int,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event (``resources["event"]`` in the fixtures); ``request`` null when Stripe acted."""
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return shaped(
        "event",
        {
            "id": new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": pending_webhooks,
            "request": request or {"id": None, "idempotency_key": None},
            "type": event_type,
        },
    )
