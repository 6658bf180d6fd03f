"""Refunding an order from its admin page, behind the "Can refund orders" permission."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from wagtail.admin import messages

from store import payments
from store.admin.forms import RefundForm
from store.admin.order_actions import OrderAction
from store.models import Order

REFUND_PERMISSION = "store.refund_order"


def can_refund(user: AbstractBaseUser) -> bool:
    return user.has_perm(REFUND_PERMISSION)


def new_refund_form(outstanding: int) -> RefundForm:
    """A new form: a fresh token, and what the page shows as refunded (``outstanding``)."""
    return RefundForm(initial={"form_token": uuid.uuid4(), "outstanding_when_shown": outstanding})


class RefundOrder(OrderAction):
    permission = REFUND_PERMISSION

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=pk)
        form = RefundForm(request.POST)
        if not form.is_valid():
            problems = " ".join(error for errors in form.errors.values() for error in errors)
            messages.error(request, f"No refund was made: {problems}")
        else:
            self._refund(order, form.cleaned_data)
        return HttpResponseRedirect(reverse("orders:inspect", args=[order.pk]))

    def _refund(self, order: Order, data: dict) -> None:
        request = self.request
        try:
            refund, made = payments.refund_order(
                order,
                amount=data["amount"],
                reason=data["reason"],
                user=request.user,
                form_token=data["form_token"],
                outstanding_when_shown=data["outstanding_when_shown"],
            )
        except payments.RefundRefused as refused:
            messages.error(request, f"No refund was made: {refused}")
        except payments.RefundFailed as failed:
            messages.error(request, f"Stripe refused the refund, so nothing changed: {failed}")
        except payments.RefundNotKnownYet as unknown:
            messages.warning(
                request,
                f"{unknown.refund}: not known yet. Stripe's answer has not come ({unknown}), so "
                "the refund may or may not be made. Do not refund again: it settles by itself "
                "within minutes, and this page then shows it.",
            )
        else:
            if not made:
                messages.warning(request, f"This form was already sent: {refund} was made then.")
            else:
                messages.success(request, f"{refund}: {refund.get_status_display().lower()}.")
