"""An order's status page, reached from any device by its signed link (store.order_links),
and "Find my order", which emails that link to the address the order was paid with."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from store import find_order, order_links, tracking
from store.gst.downloads import OrderDocumentView
from store.models import CreditNote, Invoice, Order, Refund
from store.views import HttpResponseSeeOther, wait_phrase

# The same words whether or not an order matched: the page tells a stranger nothing.
LINK_SENT = (
    "If an order with that number was paid with that email address, we have emailed the "
    "link to it there. It can take a few minutes to arrive; check your spam folder too."
)
TOO_MANY_LOOKUPS = "You have asked for a lot of order links. Please try again in {wait}."


@require_GET
def order_status(request: HttpRequest, token: str) -> HttpResponse:
    order = _linked_order(token)
    context = {
        "order": order,
        "token": token,
        "lines": list(order.lines.all()),
        "refunds": list(order.refunds.filter(status=Refund.Status.SUCCEEDED)),
        "tracking_url": tracking.tracking_url(order.carrier, order.tracking_number),
        "invoice": Invoice.objects.filter(order=order).first(),
        "credit_notes": list(CreditNote.objects.filter(invoice__order=order).order_by("pk")),
    }
    return _private(render(request, "store/order_status.html", context))


class LinkedOrderDocument(OrderDocumentView):
    """The tax invoice or a credit note of the order a status link names."""

    def get_order(self, request: HttpRequest, *, token: str) -> Order:
        return _linked_order(token)


@require_http_methods(["GET", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _find_page(request, find_order.FindOrderForm())
    form = find_order.FindOrderForm(request.POST)
    if not form.is_valid():
        return _find_page(request, form, status=400)
    email, number = form.cleaned_data["email"], form.cleaned_data["order_number"]
    if wait := find_order.admit(request, email):
        form.add_error(None, TOO_MANY_LOOKUPS.format(wait=wait_phrase(wait)))
        response = _find_page(request, form, status=429)
        response["Retry-After"] = str(wait)
        return response
    find_order.send_link(email, number)
    messages.success(request, LINK_SENT)
    return HttpResponseSeeOther(request.path)


def _linked_order(token: str) -> Order:
    order = order_links.order_for(token)
    if order is None:
        raise Http404("No such order")
    return order


def _find_page(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    return _private(render(request, "store/find_order.html", {"form": form}, status=status))


def _private(response: HttpResponse) -> HttpResponse:
    """A customer's order, or a form about one: kept by no cache, listed by no search engine."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
