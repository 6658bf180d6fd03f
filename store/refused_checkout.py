"""A refused checkout, carried across Post/Redirect/Get: the checkout POST answers with a
redirect to the shop page, which shows what was typed and what was wrong, once.

So a refresh never posts the form again, the address stays "/", and the page the
shopper lands on is the shop page with an error summary at the top.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from store.forms import QUANTITY_PREFIX, CheckoutForm

SESSION_KEY = "store_refused_checkout"


def keep(request: HttpRequest, form: CheckoutForm) -> None:
    """Remember the quantities as typed and the errors found, for the next shop page."""
    typed = {name: value for name, value in form.data.items() if name.startswith(QUANTITY_PREFIX)}
    errors = {field: [str(error) for error in messages] for field, messages in form.errors.items()}
    request.session[SESSION_KEY] = {"data": typed, "errors": errors}


def waiting(request: HttpRequest) -> bool:
    """Cheap: only a browser with a session can have one (no database otherwise)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and SESSION_KEY in request.session


def take(request: HttpRequest) -> dict | None:
    """The refused checkout to show, once: ``data`` and ``errors``; None if there is none."""
    if not waiting(request):
        return None
    return request.session.pop(SESSION_KEY)
