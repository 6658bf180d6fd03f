"""Discount codes in the admin: the owner's form, its listing with each code's uses, and
saving that brings Stripe in line (``store.payments.discount_sync``) after the save commits.

Codes are never deleted (paid orders name them); a code that should stop is made inactive.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import CreateView, EditView, IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from store import money
from store.admin.forms import AmountField
from store.discounts import paid_uses
from store.models import DiscountCode, DiscountCodeTerms
from store.payments.discount_sync import needs_sync, record_terms, sync_with_stripe

CURRENCY = settings.STORE_CURRENCY.upper()


class DiscountCodeForm(WagtailAdminModelForm):
    amount_off = AmountField(
        required=False,
        label=f"Amount off ({CURRENCY})",
        help_text=f"For a fixed amount off, in {CURRENCY}, e.g. 100.",
    )
    minimum_subtotal = AmountField(
        required=False,
        label=f"Minimum subtotal ({CURRENCY})",
        help_text="The basket's value before shipping needed to use the code; empty: any.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Orders record the code as typed: a code keeps its name; make a new one instead.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "A code cannot be renamed; create a new one."

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        taken = DiscountCode.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"There is already a discount code {code}.")
        return code

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == DiscountCode.Kind.PERCENT:
            self._check_percent(cleaned)
        elif kind == DiscountCode.Kind.FIXED:
            self._check_amount(cleaned)
        self._check_dates(cleaned)
        self._check_max_uses(cleaned)
        return cleaned

    def _check_percent(self, cleaned: dict) -> None:
        percent = cleaned.get("percent_off")
        cleaned["amount_off"] = None
        if percent is None and "percent_off" not in self.errors:
            self.add_error("percent_off", "Type the percentage off, e.g. 10.")
        elif percent is not None and not 0 < percent <= 100:
            self.add_error("percent_off", "The percentage must be above 0 and at most 100.")

    def _check_amount(self, cleaned: dict) -> None:
        amount, minimum = cleaned.get("amount_off"), cleaned.get("minimum_subtotal")
        cleaned["percent_off"] = None
        if amount is None and "amount_off" not in self.errors:
            self.add_error("amount_off", f"Type the amount off in {CURRENCY}, e.g. 100.")
        elif amount == 0:
            self.add_error("amount_off", "The amount off must be above zero.")
        elif amount is not None and minimum is not None and amount >= minimum:
            shown = money.format_amount(minimum, settings.STORE_CURRENCY)
            self.add_error(
                "amount_off",
                f"The amount off must be below the minimum subtotal ({shown}), "
                "or an order could cost nothing.",
            )

    def _check_dates(self, cleaned: dict) -> None:
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "The code must end after it starts.")
        elif ends_at and "ends_at" in self.changed_data and ends_at <= timezone.now():
            # Stripe refuses a coupon that can no longer be redeemed.
            self.add_error(
                "ends_at", "The end must be in the future; to stop a code now, untick Active."
            )

    def _check_max_uses(self, cleaned: dict) -> None:
        """New terms may allow only uses still left: Stripe counts each version's own."""
        for limit in ("max_uses", "max_uses_per_email"):
            if cleaned.get(limit) == 0:
                self.add_error(limit, "Allow at least one use, or leave it empty for no limit.")
        max_uses = cleaned.get("max_uses")
        new_terms = any(name in self.changed_data for name in DiscountCodeTerms.TERMS)
        if not max_uses or not self.instance.pk or not new_terms:
            return
        used = paid_uses(self.instance.code).count()
        if max_uses <= used:
            self.add_error(
                "max_uses",
                f"The code has been used {used} times already: allow more than that, "
                "or untick Active to stop it.",
            )


class StripeSyncMixin:
    """Records the code's terms with the save, and brings Stripe in line once it committed."""

    def save_instance(self):
        discount_code = super().save_instance()
        record_terms(discount_code)
        return discount_code

    def form_valid(self, form):
        response = super().form_valid(form)
        result = sync_with_stripe(self.object)
        if not result.at_stripe:
            messages.warning(self.request, not_at_stripe_message(self.object, result.message))
        return response


def not_at_stripe_message(discount_code: DiscountCode, why: str) -> str:
    return (
        f"{discount_code} is saved but Stripe is not in step with it yet ({why}), so "
        "shoppers may not be able to use it as saved. Save it again to retry; "
        "manage.py sync_orders retries too."
    )


class DiscountCodeCreateView(StripeSyncMixin, CreateView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            # The same code saved at the same moment (a double click): the other one won.
            form.add_error("code", f"There is already a discount code {form.instance.code}.")
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class DiscountCodeEditView(StripeSyncMixin, EditView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        lag = stripe_lag(self.object)
        if lag is not None:
            messages.warning(request, not_at_stripe_message(self.object, lag))
        return response


class DiscountCodeInspectView(InspectView):
    """The code, each version of its terms with its coupon and promotion code at Stripe, and
    the latest paid orders that used it."""

    template_name = "store/admin/discount_code_inspect.html"
    fields = ["code", "display_terms", "active", "starts_at", "ends_at", "max_uses"]
    LATEST_ORDERS = 50

    def get_fields(self):
        return [*self.fields, "max_uses_per_email"]

    def get_field_label(self, field_name, field):
        return (
            "Terms" if field_name == "display_terms" else super().get_field_label(field_name, field)
        )

    def get_context_data(self, **kwargs):
        uses = paid_uses(self.object.code)
        totals = uses.aggregate(count=Count("pk"), discounted=Sum("amount_discount", default=0))
        return super().get_context_data(
            **kwargs,
            versions=self.object.versions.order_by("-created_at", "-pk"),
            stripe_lag=stripe_lag(self.object),
            uses=totals["count"],
            discounted=money.format_amount(totals["discounted"], settings.STORE_CURRENCY),
            latest_orders=[
                (order, money.format_amount(order.amount_discount, order.currency))
                for order in uses.order_by("-paid_at")[: self.LATEST_ORDERS]
            ],
        )


class DiscountCodeIndexView(IndexView):
    def get_base_queryset(self):
        return with_uses(super().get_base_queryset())


def with_uses(codes):
    """Annotate ``uses`` and ``discounted``: the code's paid orders and their discounts."""
    used = paid_uses(OuterRef("code")).values("discount_code")
    return codes.annotate(
        uses=Coalesce(
            Subquery(used.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
        ),
        discounted=Coalesce(
            Subquery(
                used.annotate(total=Sum("amount_discount")).values("total"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )


def stripe_lag(discount_code: DiscountCode) -> str | None:
    """Why Stripe is not in step with the code; None when it is (a failed attempt that raced
    a successful one is moot)."""
    if not needs_sync(discount_code):
        return None
    current = discount_code.current_terms()
    return current.sync_error if current and current.sync_error else "not sent yet"


def stripe_state(discount_code: DiscountCode) -> str:
    lag = stripe_lag(discount_code)
    return "Yes" if lag is None else f"Not yet: {lag}"


class DiscountCodeViewSet(ModelViewSet):
    model = DiscountCode
    name = "discount_codes"
    icon = "tag"
    menu_label = "Discount codes"
    menu_order = 250
    add_to_admin_menu = True
    form_fields = None
    index_view_class = DiscountCodeIndexView
    add_view_class = DiscountCodeCreateView
    edit_view_class = DiscountCodeEditView
    inspect_view_class = DiscountCodeInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    search_fields = ["code"]
    search_backend_name = None
    list_filter = ["active", "kind"]
    list_display = [
        "code",
        Column("display_terms", label="Terms"),
        BooleanColumn("active", label="Active"),
        Column("uses", label="Uses (paid orders)"),
        Column(
            "discounted",
            label="Discounted",
            accessor=lambda code: money.format_amount(code.discounted, settings.STORE_CURRENCY),
        ),
        Column("at_stripe", label="At Stripe", accessor=stripe_state),
    ]

    edit_handler = ObjectList(
        [
            FieldPanel("code"),
            FieldPanel("active"),
            MultiFieldPanel(
                [
                    FieldPanel("kind"),
                    FieldRowPanel([FieldPanel("percent_off"), FieldPanel("amount_off")]),
                    FieldPanel("minimum_subtotal"),
                ],
                heading="Discount",
                help_text="A percentage or a fixed amount off the subtotal, once per order.",
            ),
            FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")], heading="When"),
            FieldRowPanel(
                [FieldPanel("max_uses"), FieldPanel("max_uses_per_email")],
                heading="Limits",
                help_text=(
                    "Stripe's page enforces the total; the per-email limit is checked when the "
                    "payment arrives, and an order past it is held for staff to look at."
                ),
            ),
        ],
        base_form_class=DiscountCodeForm,
    )
