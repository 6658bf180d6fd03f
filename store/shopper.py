"""Which browser is this? A random token kept in the (HttpOnly) session.

"My Orders", the success page and the cancel page only ever show orders made
with the current browser's token, never an order looked up by id alone.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest

SESSION_KEY = "store_browser_token"
CONFIRMING_KEY = "store_confirming_orders"


def browser_token(request: HttpRequest, *, create: bool = False) -> str:
    """This browser's token; '' if it has none yet and ``create`` is False."""
    token = request.session.get(SESSION_KEY, "")
    if not token and create:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def remember_confirming(request: HttpRequest, order_public_id: str) -> None:
    """Back from Stripe but not paid yet: show the order as "confirming payment"."""
    confirming = set(request.session.get(CONFIRMING_KEY, []))
    confirming.add(order_public_id)
    request.session[CONFIRMING_KEY] = sorted(confirming)


def confirming_order_ids(request: HttpRequest) -> list[str]:
    return request.session.get(CONFIRMING_KEY, [])
