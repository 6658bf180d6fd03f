"""What staff do to an order from its admin page: ship it, mark it delivered, undo a step.

Each is a POST behind the "Can fulfil orders" permission (403 without it), and
ends back on the order's page with a message saying what happened.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.defaults import permission_denied
from wagtail.admin import messages
from wagtail.log_actions import log

from store import fulfilment, tracking
from store.models import Order

FULFIL_PERMISSION = "store.fulfil_order"
LINKS_REVOKED = "store.order.links_revoked"


def can_fulfil(user: AbstractBaseUser) -> bool:
    return user.has_perm(FULFIL_PERMISSION)


OTHER_CARRIER = "other"


def _carrier_choices() -> list[tuple[str, str]]:
    carriers = [(name, name) for name in tracking.carriers()]
    return [("", "Not given"), *carriers, (OTHER_CARRIER, "Another carrier (type its name)")]


class ShipForm(forms.Form):
    """The carrier is picked from those with a tracking page (STORE_TRACKING_URLS), so the
    customer gets a link; another carrier is typed, and its number shown without one."""

    carrier = forms.ChoiceField(choices=_carrier_choices, required=False)
    other_carrier = forms.CharField(
        label="Other carrier", max_length=100, required=False, help_text="If not in the list."
    )
    tracking_number = forms.CharField(max_length=100, required=False, help_text="Optional.")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("carrier") == OTHER_CARRIER:
            if not cleaned.get("other_carrier"):
                self.add_error("other_carrier", "Type the carrier's name, or pick one.")
            cleaned["carrier"] = cleaned.get("other_carrier", "")
        cleaned.pop("other_carrier", None)
        return cleaned


class OrderAction(View):
    """A POST that changes one order, allowed only with ``permission``: otherwise a plain 403
    (Wagtail would turn PermissionDenied into a redirect to the dashboard)."""

    http_method_names = ["post"]
    permission: str

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(self.permission):
            return permission_denied(request, PermissionDenied(f"Needs {self.permission}."))
        return super().dispatch(request, *args, **kwargs)


class FulfilmentAction(OrderAction):
    """One step of fulfilment on one order; subclasses say which and what to tell staff."""

    permission = FULFIL_PERMISSION
    done: str
    refused: str

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=pk)
        if self.act(order):
            messages.success(request, self.success_message(order))
        else:
            messages.error(request, self.refused.format(order=order))
        return HttpResponseRedirect(reverse("orders:inspect", args=[order.pk]))

    def act(self, order: Order) -> bool:
        raise NotImplementedError

    def success_message(self, order: Order) -> str:
        return self.done.format(order=order)


class ShipOrder(FulfilmentAction):
    done = "{order} marked shipped; the customer has been emailed."
    refused = "{order} was not marked shipped: only a paid order that has not shipped can be."

    def act(self, order: Order) -> bool:
        form = ShipForm(self.request.POST)
        if not form.is_valid():
            self.refused = "{order} was not marked shipped: " + " ".join(
                error for errors in form.errors.values() for error in errors
            )
            return False
        if fulfilment.ship(order, user=self.request.user, **form.cleaned_data):
            return True
        if reason := fulfilment.why_not_shippable(order):
            self.refused = "{order} was not marked shipped: " + reason + "."
        return False


class DeliverOrder(FulfilmentAction):
    done = "{order} marked delivered."
    refused = "{order} was not marked delivered: only a shipped order can be."

    def act(self, order: Order) -> bool:
        return fulfilment.deliver(order, user=self.request.user)


class UndoFulfilment(FulfilmentAction):
    refused = "Nothing to undo on {order}."

    def act(self, order: Order) -> bool:
        return fulfilment.undo(order, user=self.request.user)

    def success_message(self, order: Order) -> str:
        return f"Last step undone: {order} is now “{order.get_fulfilment_display()}”."


class RevokeOrderLinks(FulfilmentAction):
    """The customer's order links were shared or leaked: a new status token makes every link
    sent so far a 404; the next email carries a new one (store.order_links)."""

    done = "Every link to {order}'s page sent so far no longer works."
    refused = "The links to {order}'s page could not be revoked."

    def act(self, order: Order) -> bool:
        with transaction.atomic():
            order.rotate_status_token()
            log(instance=order, action=LINKS_REVOKED, user=self.request.user)
        return True
