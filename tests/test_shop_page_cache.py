"""The shop page's shared rendering (home.shop_page): fast for everyone, never someone else's.

What is shared is the page around four parts that are filled in per request:
the CSRF token, the form token, messages and My Orders.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from home import shop_page
from store.models import Order, Product
from tests.conftest import behind_the_shops_back, make_product, quantity_field, set_stock

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def page(client: Client) -> BeautifulSoup:
    response = client.get("/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def tokens(soup: BeautifulSoup) -> tuple[str, str]:
    form = soup.select_one("form.checkout-form")
    return (
        form.select_one("input[name=csrfmiddlewaretoken]")["value"],
        form.select_one("input[name=form_token]")["value"],
    )


def queries_for(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def pay_for_a_cap(client: Client, products, stripe_sim) -> Order:
    client.post("/checkout/", {quantity_field(products[2]): "1"})
    order = Order.objects.filter(status="pending").latest("pk")
    stripe_sim.pay(order.stripe_session_id)
    client.get("/checkout/success/", {"session_id": order.stripe_session_id})
    return order


def test_a_fresh_visitor_is_served_without_the_database(products):
    Client().get("/")  # the first visitor has it rendered

    assert queries_for(Client()) == 0


def test_every_visitor_gets_their_own_working_tokens(products, stripe_sim):
    shoppers = [Client(enforce_csrf_checks=True) for _ in range(3)]
    pages = [page(shopper) for shopper in shoppers]

    csrf, form = zip(*(tokens(soup) for soup in pages), strict=True)
    assert len(set(csrf)) == 3 and len(set(form)) == 3
    assert all(str(uuid.UUID(token)) == token for token in form)
    assert "<!--shop:" not in str(pages[0])
    for shopper, soup in zip(shoppers, pages, strict=True):
        csrf_token, form_token = tokens(soup)
        response = shopper.post(
            "/checkout/",
            {
                "csrfmiddlewaretoken": csrf_token,
                "form_token": form_token,
                quantity_field(products[2]): "1",
            },
        )
        assert response.status_code == 303  # the token was accepted
    assert Order.objects.count() == 3


def test_my_orders_messages_and_confirming_never_reach_another_browser(products, stripe_sim):
    mine, stranger = Client(), Client()
    order = pay_for_a_cap(mine, products, stripe_sim)
    # Another checkout of mine, back from Stripe before it confirmed: "confirming payment".
    mine.post("/checkout/", {quantity_field(products[1]): "1"})
    pending = Order.objects.filter(status="pending").get()
    stripe_sim.fail_next(503, count=2)
    mine.get("/checkout/success/", {"session_id": pending.stripe_session_id})

    for _ in range(2):  # before and after the shared rendering exists
        their_page = page(stranger)
        assert their_page.select("section.my-orders li.order") == []
        assert their_page.select(".messages li") == []
        assert f"#{order.number}" not in their_page.text

    my_page = page(mine)
    statuses = [status.text for status in my_page.select("section.my-orders .status")]
    assert statuses == ["Confirming payment", "Paid"]
    assert "We could not confirm the payment" in my_page.select_one(".messages").text
    assert page(mine).select(".messages li") == []  # a message is shown once


def test_queries_do_not_grow_with_products_or_orders(products, stripe_sim, settings):
    settings.STORE_CHECKOUT_RATE_PER_BROWSER = "1000/m"
    set_stock("Cap", 1000)  # stock is counted from the start
    returning = Client()
    pay_for_a_cap(returning, products, stripe_sim)
    behind_the_shops_back()
    # A request after a change renders; the next ones are served from what it kept.
    rendering_few = (queries_for(Client()), queries_for(returning))
    few = (queries_for(Client()), queries_for(returning))

    for number in range(197):
        make_product(f"Extra {number}", 1000 + number, sort_order=10 + number, stock=number)
    for _ in range(49):
        pay_for_a_cap(returning, products, stripe_sim)
    behind_the_shops_back()
    rendering_many = (queries_for(Client()), queries_for(returning))
    many = (queries_for(Client()), queries_for(returning))

    assert Product.objects.count() == 200 and Order.objects.count() == 50
    assert rendering_many == rendering_few
    assert many == few == (0, 0)  # until the next change, from what was kept


def test_checkout_success_cancel_and_webhooks_are_never_served_from_it(products, stripe_sim):
    shopper = Client()
    page(shopper)  # the shop page is now shared
    assert shopper.post("/checkout/", {quantity_field(products[2]): "1"}).status_code == 303
    order = Order.objects.get()
    asked = len(stripe_sim.requests)

    for _ in range(2):
        shopper.get("/checkout/success/", {"session_id": order.stripe_session_id})
    shopper.get(f"/checkout/cancel/{order.public_id}/")

    # The success page asked Stripe each time; cancel expired the session there.
    assert len(stripe_sim.requests) == asked + 3
    assert Order.objects.get().status == "cancelled"
    assert Client().post("/stripe/webhook/").status_code == 400  # the webhook view answered


def test_a_hold_that_ends_by_itself_makes_the_page_stale_then(products, stripe_sim):
    set_stock("Cap", 1)
    behind_the_shops_back()
    Client().post("/checkout/", {quantity_field(products[2]): "1"})
    soon = timezone.now() + timedelta(seconds=1)
    Order.objects.update(checkout_expires_at=soon)
    behind_the_shops_back()
    held = "1 held in other checkouts"
    assert held in page(Client()).select_one(".product:last-child").text

    time.sleep(max((soon - timezone.now()).total_seconds(), 0) + 0.1)

    assert held not in page(Client()).select_one(".product:last-child").text
    assert re.search(r"Only 1 left", page(Client()).text)


def test_every_change_the_shop_makes_shows_at_once(products, stripe_sim):
    set_stock("Cap", 2)
    behind_the_shops_back()
    shopper, other = Client(), Client()
    assert "Only 2 left" in page(other).text

    shopper.post("/checkout/", {quantity_field(products[2]): "1"})  # a hold
    assert "Only 1 left" in page(other).text
    order = Order.objects.get()
    shopper.get(f"/checkout/cancel/{order.public_id}/")  # a release
    assert "Only 2 left" in page(other).text
    pay_for_a_cap(shopper, products, stripe_sim)  # a sale
    assert "Only 1 left" in page(other).text


def price_of(name: str) -> str:
    for card in page(Client()).select(".product-card"):
        if card.select_one(".product-name").text == name:
            return card.select_one(".product-price").text
    raise AssertionError(f"{name} is not on the shop page")


def test_a_lost_cache_never_brings_an_old_price_back(products):
    shirt = Product.objects.get(name="T-Shirt")
    assert price_of("T-Shirt") == "₹500.00"
    shirt.price = 51000
    shirt.save()
    assert price_of("T-Shirt") == "₹510.00"

    # Every key of every cache goes (eviction, a restart, a flush); this worker's memory stays.
    for alias in caches:
        caches[alias].clear()
    shirt.price = 52000
    shirt.save()

    assert price_of("T-Shirt") == "₹520.00"


def test_a_rendering_is_only_trusted_for_the_version_it_was_built_for(products):
    page(Client())
    version = shop_page.current_version()
    key = next(iter(shop_page._worker.memory.skeletons.entries))
    stale = caches[shop_page.PAGE_CACHE].get(key)
    Product.objects.filter(name="T-Shirt").update(price=53000)
    behind_the_shops_back()
    new_version = shop_page.current_version()
    # A cache that hands back an old rendering under the new version's key is not believed.
    caches[shop_page.PAGE_CACHE].set(key.replace(version, new_version), stale)

    assert version != new_version
    assert price_of("T-Shirt") == "₹530.00"
