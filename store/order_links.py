"""Signed links to an order's status page: what an email carries instead of the browser token.

A link names the order by its public id and its ``status_token``, signed with
the site's secret (django.core.signing), so it cannot be guessed or altered,
and it opens that one order only. Links do not expire (the page only reads);
rotating the order's token (``Order.rotate_status_token``) revokes them all.
"""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse

from store.models import Order

SALT = "store.order-status"


def token_for(order: Order) -> str:
    """The signed part of the order's status link."""
    return signing.dumps([str(order.public_id), order.ensure_status_token()], salt=SALT)


def status_path(order: Order) -> str:
    return reverse("store:order_status", args=[token_for(order)])


def order_for(token: str) -> Order | None:
    """The order a link names, or None if the link was altered, made up or revoked."""
    try:
        public_id, status_token = signing.loads(token, salt=SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(status_token, str) or not status_token:
        return None
    try:
        return Order.objects.filter(public_id=public_id, status_token=status_token).first()
    except ValidationError:  # signed by us, so only if the secret leaked: still no order
        return None
