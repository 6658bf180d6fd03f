"""The shop page: one Wagtail page at the site root."""

from __future__ import annotations

from django.db.models import Q
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from store import shopper
from store.forms import CheckoutForm, products_for_sale
from store.models import Order


class HomePage(Page):
    """Intro text, the published products with a quantity form, and My Orders."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []

    def get_context(self, request, *args, checkout_form: CheckoutForm | None = None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["checkout_form"] = checkout_form or CheckoutForm(products=products_for_sale())
        context["my_orders"] = my_orders(request)
        return context


def my_orders(request) -> list[Order]:
    """This browser's orders a shopper paid for or tried to: paid, being confirmed,
    processing (a bank payment settling), or whose payment failed."""
    token = shopper.browser_token(request)
    confirming = Q(status=Order.Status.PENDING, public_id__in=shopper.confirming_order_ids(request))
    processing = Q(status=Order.Status.PENDING, payment_processing=True)
    payment_failed = Q(status=Order.Status.FAILED) & ~Q(stripe_payment_intent_id="")
    return list(
        Order.objects.for_browser(token)
        .filter(Q(status=Order.Status.PAID) | confirming | processing | payment_failed)
        .prefetch_related("lines")
        .order_by("-created_at")
    )
