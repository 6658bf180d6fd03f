"""Which browser is this? A random token in a signed, HttpOnly cookie.

"My Orders", the success page and the cancel page only ever show orders made
with the current browser's token, never an order looked up by id alone. The
token is handed out with the first page, so a double click on the very first
checkout already carries it (two fresh tokens would make two orders).
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "store_browser"
COOKIE_SALT = "store.shopper"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365
CONFIRMING_KEY = "store_confirming_orders"


class BrowserTokenMiddleware:
    """Sets ``request.browser_token`` for every request; new browsers get the cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request.get_signed_cookie(COOKIE_NAME, default="", salt=COOKIE_SALT)
        request.browser_token = token or secrets.token_urlsafe(32)
        response = self.get_response(request)
        if not token:
            response.set_signed_cookie(
                COOKIE_NAME,
                request.browser_token,
                salt=COOKIE_SALT,
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def browser_token(request: HttpRequest) -> str:
    """'' for requests that bypass the middleware (Wagtail's preview builds its own)."""
    return getattr(request, "browser_token", "")


def remember_confirming(request: HttpRequest, order_public_id: str) -> None:
    """Back from Stripe but not paid yet: show the order as "confirming payment"."""
    confirming = set(request.session.get(CONFIRMING_KEY, []))
    confirming.add(order_public_id)
    request.session[CONFIRMING_KEY] = sorted(confirming)


def confirming_order_ids(request: HttpRequest) -> list[str]:
    return request.session.get(CONFIRMING_KEY, [])
