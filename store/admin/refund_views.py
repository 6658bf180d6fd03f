"""Refunding an order from its admin page, behind the "Can refund orders" permission.

Two steps: the order's page sends what staff typed to :class:`ConfirmRefund`,
which checks it and shows the amount and what will be left; only the
confirmation's "Yes" (:class:`RefundOrder`) asks Stripe.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from wagtail.admin import messages

from store import money, payments
from store.admin.forms import ConfirmedRefundForm, RefundForm
from store.admin.order_actions import OrderAction
from store.models import Order, Refund

REFUND_PERMISSION = "store.refund_order"


def can_refund(user: AbstractBaseUser) -> bool:
    return user.has_perm(REFUND_PERMISSION)


def new_refund_form(outstanding: int) -> RefundForm:
    """A new form: a fresh token, and what the page shows as refunded (``outstanding``)."""
    return RefundForm(initial={"form_token": uuid.uuid4(), "outstanding_when_shown": outstanding})


def _problems(form) -> str:
    return " ".join(error for errors in form.errors.values() for error in errors)


def _back_to(order: Order) -> HttpResponse:
    return HttpResponseRedirect(reverse("orders:inspect", args=[order.pk]))


class ConfirmRefund(OrderAction):
    """The refund form's first step: check what was typed, then ask "Refund ₹X?"."""

    permission = REFUND_PERMISSION

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=pk)
        form = RefundForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"No refund was made: {_problems(form)}")
            return _back_to(order)
        data = form.cleaned_data
        if repeated := Refund.objects.filter(form_token=data["form_token"]).first():
            # The same form again (a resend): the refund it made, asked again if need be.
            _send(request, order, data | {"amount": repeated.amount})
            return _back_to(order)
        already = payments.outstanding(order)
        left = order.amount_total - already
        amount = left if data["refund_all"] else data["amount"]
        problem = None
        if order.status != Order.Status.PAID or left <= 0:
            problem = "Nothing is left to refund on this order."
        elif already != data["outstanding_when_shown"]:
            problem = (
                f"Another refund was made while this page was open: {_shown(order, already)} "
                "is refunded or being refunded now. Check the figures and try again."
            )
        elif amount <= 0:
            problem = "Type an amount above zero."
        elif amount > left:
            problem = f"Only {_shown(order, left)} is left to refund."
        if problem:
            messages.error(request, f"No refund was made: {problem}")
            return _back_to(order)
        confirmation = ConfirmedRefundForm(initial=data | {"amount": amount})
        context = {
            "object": order,
            "amount": _shown(order, amount),
            "already": _shown(order, already),
            "left_after": _shown(order, left - amount),
            "reason": dict(form.fields["reason"].choices)[data["reason"]],
            "restock": data["restock"],
            "lines": order.lines.all(),
            "form": confirmation,
            "page_title": f"Refund {order}",
        }
        return render(request, "store/admin/refund_confirm.html", context)


class RefundOrder(OrderAction):
    """The confirmation's "Yes": the refund as confirmed, through Stripe."""

    permission = REFUND_PERMISSION

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=pk)
        form = ConfirmedRefundForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"No refund was made: {_problems(form)}")
        else:
            _send(request, order, form.cleaned_data)
        return _back_to(order)


def _send(request: HttpRequest, order: Order, data: dict) -> None:
    """Ask for the refund (the same form's again, with its key) and say what came of it."""
    try:
        refund, made = payments.refund_order(
            order,
            amount=data["amount"],
            reason=data["reason"],
            user=request.user,
            form_token=data["form_token"],
            outstanding_when_shown=data["outstanding_when_shown"],
            restock=data["restock"],
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


def _shown(order: Order, amount: int) -> str:
    return money.format_amount(amount, order.currency)
