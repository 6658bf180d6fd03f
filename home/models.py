"""The shop page: one Wagtail page at the site root."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from home import shop_page
from store import shopper, stock
from store.forms import CheckoutForm, products_for_sale
from store.gst.documents import registration
from store.models import Order


class HomePage(Page):
    """Intro text, the published products with a quantity form, and My Orders."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []

    def serve(self, request, *args, checkout_form: CheckoutForm | None = None, **kwargs):
        """The page for this visitor, from a rendering shared by all (home.shop_page).

        A form with errors (``checkout_form``) and previews of drafts are this
        request's alone: rendered the same way, but never kept for others.
        """
        shared = checkout_form is None and not getattr(request, "is_preview", False)
        version = shop_page.current_version()
        html = render_to_string(
            self.get_template(request),
            self.get_context(request, *args, checkout_form=checkout_form, **kwargs),
            request=request,
        )
        lifetime = settings.STORE_PAGE_CACHE_SECONDS
        if shared and (expiry := stock.next_hold_expiry()):
            # A hold ends by itself, with no change to announce: stale from then on.
            lifetime = min(lifetime, max((expiry - timezone.now()).total_seconds(), 0))
        skeleton = shop_page.Skeleton.from_html(html, lifetime)
        if shared:
            shop_page.store(request.get_host(), version, skeleton)
        return shop_page.respond(request, skeleton)

    def get_context(self, request, *args, checkout_form: CheckoutForm | None = None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["checkout_form"] = checkout_form or CheckoutForm(products=products_for_sale())
        # A GST-registered shop says its prices include GST; an unregistered one says nothing.
        context["prices_include_gst"] = registration() is not None
        context["visitor"] = shop_page.MARKERS
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
        .select_related("invoice")
        .prefetch_related("lines", "invoice__credit_notes")
        .order_by("-created_at")
    )
