"""The shop page: one Wagtail page at the site root."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from home import shop_page
from store import basket, currencies, money, refused_checkout, shipping, shopper, stock
from store.forms import CheckoutForm, products_for_sale
from store.gst.documents import registration
from store.models import Order


class RenderingVersion(models.Model):
    """The version of everything the shared renderings show (home.shop_page), one row.

    Kept in the database, where no cache eviction can reach it, as a random token:
    a renewed version never equals one used before, even if the row is lost.
    """

    SINGLETON = 1

    token = models.CharField(max_length=32)
    renewed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token

    @classmethod
    def current(cls) -> str:
        version, _ = cls.objects.get_or_create(pk=cls.SINGLETON, defaults={"token": _new_token()})
        return version.token

    @classmethod
    def renew(cls) -> str:
        token = _new_token()
        if not cls.objects.filter(pk=cls.SINGLETON).update(token=token):
            cls.objects.update_or_create(pk=cls.SINGLETON, defaults={"token": token})
        return token


def _new_token() -> str:
    return uuid.uuid4().hex


class HomePage(Page):
    """Intro text, the published products with a quantity form, and My Orders."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []

    def serve(self, request, *args, checkout_form: CheckoutForm | None = None, **kwargs):
        """The page for this visitor, from a rendering shared by all (home.shop_page).

        Wagtail has already routed the request and checked its view restrictions and
        hooks. A form with errors (``checkout_form``, or a refused checkout carried over
        a redirect) and a shopper's basket are this request's alone.
        """
        checkout_form = checkout_form or visitors_form(request)

        def build(rendering_request: HttpRequest) -> str:
            context = self.get_context(
                rendering_request, *args, checkout_form=checkout_form, **kwargs
            )
            return render_to_string(
                self.get_template(rendering_request), context, request=rendering_request
            )

        if checkout_form is not None:
            return shop_page.personal_response(request, build)
        return shop_page.cached_rendering(request, self, build, lifetime=until_a_hold_ends)

    def get_view_restrictions(self):
        """Wagtail's restrictions on this page, read once per rendering version when serving."""
        return shop_page.view_restrictions(self, super().get_view_restrictions)

    def get_context(self, request, *args, checkout_form: CheckoutForm | None = None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        form = checkout_form or CheckoutForm(products=products_for_sale())
        context["checkout_form"] = form
        context["basket_total"] = running_total(form)
        # A GST-registered shop says its prices include GST; an unregistered one says nothing.
        context["prices_include_gst"] = registration() is not None
        context["shipping"] = shipping.shop_page_note(settings.STORE_CURRENCY)
        context["visitor"] = shop_page.MARKERS
        return context


def until_a_hold_ends() -> float:
    """A hold ends by itself, with no change to announce: the rendering is stale from then on."""
    expiry = stock.next_hold_expiry()
    if expiry is None:
        return settings.STORE_PAGE_CACHE_SECONDS
    return max((expiry - timezone.now()).total_seconds(), 0)


def running_total(form: CheckoutForm) -> dict[str, str | int]:
    """The basket's total as the page first shows it, and what static/store/shop.js needs
    to keep it up to date as quantities are typed (Intl.NumberFormat's names)."""
    currency = settings.STORE_CURRENCY
    total = form.basket_total()
    return {
        "shown": "—" if total is None else money.format_amount(total, currency),
        "currency": currency.upper(),
        "locale": settings.STORE_LOCALE.replace("_", "-"),
        "exponent": currencies.exponent(currency),
    }


def visitors_form(request) -> CheckoutForm | None:
    """The form as this shopper left it: a refused checkout (once), else their basket;
    None when they have neither and the shared rendering will do."""
    refused = refused_checkout.take(request)
    if refused is not None:
        return CheckoutForm.refused(**refused, products=products_for_sale())
    items = basket.items(request)
    if items:
        return CheckoutForm.from_basket(items, products=products_for_sale())
    return None


def my_orders(request) -> list[Order]:
    """This browser's orders a shopper paid for or tried to (``OrderQuerySet.shown_to_shopper``)."""
    token = shopper.browser_token(request)
    return list(
        Order.objects.for_browser(token)
        .shown_to_shopper(shopper.confirming_order_ids(request))
        .select_related("invoice")
        .prefetch_related("lines", "invoice__credit_notes")
        .order_by("-created_at")
    )
