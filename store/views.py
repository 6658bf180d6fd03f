"""Thin HTTP views for the checkout, and an order's tax documents for the browser that
bought it; payment logic lives in store.payments, GST in store.gst."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Site

from mysite.client_ip import client_network
from store import basket, holding_limits, payments, refused_checkout, shopper, stock, throttling
from store.forms import CheckoutForm, products_for_sale
from store.gst.downloads import OrderDocumentView
from store.models import Order

logger = logging.getLogger(__name__)

SHOP_URL = "/"
# Where the shop page's error summary is (templates/includes/error_summary.html).
ERROR_SUMMARY_ID = "error-summary"
# Stripe's ids: a prefix, an underscore and letters/digits. Anything else is not worth a lookup.
SESSION_ID_PATTERN = re.compile(r"^cs_(test|live)_[A-Za-z0-9]{1,250}$")

TOO_MANY_CHECKOUTS = (
    "You have started a lot of checkouts in a short time, so this one was not started. "
    "Nothing was charged. Please try again in {wait}."
)
CHECKOUT_IN_PROGRESS = (
    "We are still opening the payment page for this basket (Checkout was pressed twice). "
    "Nothing has been charged. If the payment page does not open, press Checkout again."
)
NOT_CHARGED_RETRY = (
    "Payment could not be started. You were not charged. Please try again in a moment."
)


class HttpResponseSeeOther(HttpResponseRedirect):
    """After a POST or a state-changing return from Stripe, GET the shop page."""

    status_code = 303


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    return start_checkout(
        request,
        lambda: CheckoutForm(request.POST, products=products_for_sale()),
        _shop_again,
        back_url=SHOP_URL,
    )


class CheckoutRequest(Protocol):
    """A form a shopper checks out from: the shop page's, or a product page's."""

    cleaned_data: dict

    def is_valid(self) -> bool: ...
    def add_error(self, field: str | None, error: str) -> None: ...


ShowAgain = Callable[[HttpRequest, CheckoutRequest, int], HttpResponse]


def start_checkout(
    request: HttpRequest,
    posted_form: Callable[[], CheckoutRequest],
    show_again: ShowAgain,
    *,
    back_url: str,
) -> HttpResponse:
    """Check the posted form, keep it as the basket and send the shopper to Stripe; or show
    the form again (``show_again(request, form, status)``) saying why.

    ``posted_form`` builds the form from the post against what is left now (it is
    built again if the units ran out meanwhile). ``back_url`` is where a shopper
    goes when Stripe could not be asked (the basket keeps the quantities).
    """
    form = posted_form()
    if not form.is_valid():
        return show_again(request, form, 400)
    basket.remember(request, form.cleaned_data["lines"])
    what_to_buy = {
        "browser_token": shopper.browser_token(request),
        "client_network": client_network(request),
        "form_token": str(form.cleaned_data["form_token"]),
        "lines": [payments.CheckoutLine(*line) for line in form.cleaned_data["lines"]],
    }
    limits = throttling.CheckoutLimits(request)
    try:
        order = payments.start_checkout(
            **what_to_buy,
            base_url=request.build_absolute_uri("/").rstrip("/"),
            # Counted only for a new checkout: a re-post of the same form is the same one.
            may_start=limits.admit,
        )
    except payments.TooManyCheckouts:
        return _too_many_checkouts(request, form, limits.retry_after, show_again)
    except payments.AlreadyPaid as already:
        basket.clear(request)
        messages.info(
            request, f"You have already paid for this basket: order #{already.order.number}."
        )
        return HttpResponseSeeOther(SHOP_URL)
    except stock.SoldOut as sold_out:
        # The shopper's quantities checked again against what is left now.
        again = posted_form()
        again.is_valid()
        again.add_error(None, str(sold_out))
        return show_again(request, again, 409)
    except holding_limits.TooManyHeld as too_many:
        form.add_error(None, str(too_many))
        return show_again(request, form, 409)
    except payments.CheckoutInProgress:
        messages.info(request, CHECKOUT_IN_PROGRESS)
        return HttpResponseSeeOther(back_url)
    except payments.CheckoutUnavailable:
        messages.error(request, NOT_CHARGED_RETRY)  # the basket keeps the quantities
        return HttpResponseSeeOther(back_url)
    basket.sent_as(request, order)
    return HttpResponseSeeOther(order.checkout_url)


@never_cache
@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")
    if not SESSION_ID_PATTERN.match(session_id):
        raise Http404("No such checkout")
    order = _this_browsers_order(request, stripe_session_id=session_id)
    if order is None:
        raise Http404("No such checkout")
    # Before Stripe is asked: should it not answer, reconcile will ask again, never guess.
    order.note_return_from_stripe()
    try:
        outcome = payments.fulfill_checkout(session_id)
    except payments.PaymentError:
        shopper.remember_confirming(request, str(order.public_id))
        messages.warning(
            request,
            f"We could not confirm the payment for order #{order.number} yet. "
            "It will appear under My Orders as soon as Stripe confirms it; "
            "you will not be charged twice.",
        )
        return HttpResponseSeeOther(SHOP_URL)
    _tell_outcome(request, order, outcome)
    if order.status == Order.Status.PAID or order.payment_processing:
        basket.clear(request)
    return HttpResponseSeeOther(SHOP_URL)


@never_cache
@require_GET
def checkout_cancel(request: HttpRequest, public_id) -> HttpResponse:
    order = _this_browsers_order(request, public_id=public_id)
    if order is None:
        raise Http404("No such checkout")
    try:
        outcome = payments.cancel_checkout(order)
    except payments.CancelInProgress:
        messages.info(
            request,
            f"We are cancelling order #{order.number} with Stripe. Nothing has been charged; "
            "please do not pay on that page.",
        )
        return HttpResponseSeeOther(SHOP_URL)
    except payments.PaymentError:
        messages.warning(
            request,
            f"We could not reach Stripe to close the payment page for order #{order.number}. "
            "Nothing has been charged; we will cancel the order as soon as Stripe answers. "
            "Please do not pay on that page.",
        )
        return HttpResponseSeeOther(SHOP_URL)
    _tell_outcome(request, order, outcome)
    return HttpResponseSeeOther(SHOP_URL)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if not settings.STRIPE_WEBHOOK_SECRET:
        logger.error("Refusing a Stripe webhook: STRIPE_WEBHOOK_SECRET is not configured")
        return JsonResponse({"error": "webhooks are not configured"}, status=503)
    try:
        event = payments.verify_event(_body(request), request.headers.get("Stripe-Signature"))
    except payments.InvalidWebhook as error:
        logger.warning("Rejected a Stripe webhook: %s", error)
        return JsonResponse({"error": f"invalid webhook: {error}"}, status=400)
    try:
        outcome = payments.handle_event(event)
    except Exception:
        # Stripe retries on 5xx; the error is kept on the event row for staff.
        logger.exception(
            "A Stripe event failed; Stripe will retry",
            extra={"event_id": event.id, "event_type": event.type},
        )
        return JsonResponse({"error": "processing failed"}, status=500)
    return JsonResponse({"received": True, "outcome": outcome.value})


class MyOrderDocument(OrderDocumentView):
    """The tax invoice or a credit note of one of this browser's orders (My Orders)."""

    def get_order(self, request: HttpRequest, *, public_id) -> Order:
        order = _this_browsers_order(request, public_id=public_id)
        if order is None:
            raise Http404("No such order")
        return order


def _body(request: HttpRequest) -> bytes:
    """The raw body; past Django's DATA_UPLOAD_MAX_MEMORY_SIZE, refused like any oversized event."""
    try:
        return request.body
    except RequestDataTooBig as error:
        raise payments.InvalidWebhook("body larger than the server accepts") from error


def _this_browsers_order(request: HttpRequest, **lookup) -> Order | None:
    token = shopper.browser_token(request)
    return Order.objects.for_browser(token).filter(**lookup).first()


def _tell_outcome(request: HttpRequest, order: Order, outcome: payments.Outcome) -> None:
    """One message saying where the order stands now and what to do next."""
    if outcome is payments.Outcome.MISMATCH:
        messages.error(
            request,
            f"We could not match the payment to order #{order.number}. Our team has been "
            "alerted and will contact you; please do not pay again.",
        )
        return
    order.refresh_from_db(fields=["status", "payment_processing"])
    number, status = order.number, order.status
    if status == Order.Status.PAID:
        messages.success(request, f"Payment received — order #{number}. Thank you!")
    elif status == Order.Status.PENDING and order.payment_processing:
        messages.info(
            request,
            f"Your payment for order #{number} is processing. Bank payments can take a few "
            "days to clear; My Orders shows it as soon as it does.",
        )
    elif status == Order.Status.PENDING:
        shopper.remember_confirming(request, str(order.public_id))
        messages.info(request, f"We are confirming your payment for order #{number}.")
    elif status == Order.Status.CANCELLED:
        messages.info(request, f"Checkout cancelled. Nothing was charged for order #{number}.")
    elif status == Order.Status.EXPIRED:
        messages.info(request, f"Order #{number} expired before it was paid. Nothing was charged.")
    else:
        messages.error(
            request,
            f"The payment for order #{number} failed. Nothing was charged; please try again.",
        )


def _shop_again(request: HttpRequest, form: CheckoutForm, status: int) -> HttpResponse:
    """The shop page with the form's errors: after a redirect (Post/Redirect/Get), but for
    too many checkouts, which answers 429 at once with when to try again."""
    if status == 429:
        return _shop_page(request, form, status=status)
    return _refused(request, form)


def _refused(request: HttpRequest, form: CheckoutForm) -> HttpResponse:
    """Post/Redirect/Get: the shop page shows the values typed and the errors, at the top."""
    refused_checkout.keep(request, form)
    return HttpResponseSeeOther(SHOP_URL + "#" + ERROR_SUMMARY_ID)


def _too_many_checkouts(
    request: HttpRequest, form: CheckoutRequest, seconds: int, show_again: ShowAgain
) -> HttpResponse:
    form.add_error(None, TOO_MANY_CHECKOUTS.format(wait=wait_phrase(seconds)))
    response = show_again(request, form, 429)
    response["Retry-After"] = str(seconds)
    return response


def wait_phrase(seconds: int) -> str:
    """How long to wait, as a shopper reads it: "40 seconds", "3 minutes"."""
    if seconds < 90:
        return ngettext("%d second", "%d seconds", seconds) % seconds
    minutes = round(seconds / 60)
    return ngettext("%d minute", "%d minutes", minutes) % minutes


def _shop_page(request: HttpRequest, form: CheckoutForm, status: int = 200) -> HttpResponse:
    """The shop page again, with the shopper's quantities and what went wrong."""
    home = Site.find_for_request(request).root_page.specific
    response = home.serve(request, checkout_form=form)
    response.status_code = status
    return response
