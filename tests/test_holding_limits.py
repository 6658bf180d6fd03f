"""Holding limits (issue 20): one checkout, one browser or one address cannot hold all the stock.

An editor caps units of one variant per order; a browser and a client address (an IPv6
client's /64) can hold at most so many units in unpaid checkouts at once; units that are
only held say so instead of "Sold out".
"""

from __future__ import annotations

import re
import uuid

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from store.models import Order, Product, ProductVariant
from store.shopper import COOKIE_NAME
from tests.conftest import requires_postgres, set_stock
from tests.test_concurrency import race
from tests.test_stock import edit, form_errors, refused
from tests.test_stock_races import slow_order_inserts  # noqa: F401 (a fixture)

FINISH_OR_CANCEL = "Finish paying for or cancel your other checkout, then try again"


def variant(name: str) -> ProductVariant:
    return ProductVariant.objects.get(product__name=name)


def check_out(client: Client, quantities: dict[str, int], address: str = "203.0.113.7"):
    form = {"form_token": str(uuid.uuid4())}
    form |= {f"quantity_{variant(name).pk}": str(n) for name, n in quantities.items()}
    return client.post("/checkout/", form, REMOTE_ADDR=address)


def started(response) -> bool:
    """Sent on to Stripe's page (a refusal goes back to the shop)."""
    return response.status_code == 303 and not response["Location"].startswith("/")


def shop(client: Client) -> BeautifulSoup:
    return BeautifulSoup(client.get("/").content, "html.parser")


def badge(page: BeautifulSoup, name: str) -> str:
    for product in page.select("li.product"):
        if product.select_one(".product-name").text == name:
            found = product.select_one(".availability")
            return found.text if found else ""
    raise AssertionError(f"{name} is not on the shop page")


@pytest.fixture
def counted(products):
    """T-Shirt and Cap count their stock, ten of each."""
    set_stock("T-Shirt", 10)
    set_stock("Cap", 10)


# --- Per browser and per address ------------------------------------------------------------


def test_one_browser_cannot_hold_more_than_its_cap_across_checkouts(
    client, counted, stripe_sim, settings
):
    settings.STORE_MAX_HELD_UNITS_PER_BROWSER = 5
    assert started(check_out(client, {"T-Shirt": 3}))

    response = check_out(client, {"Cap": 3})

    said = form_errors(refused(client, response))
    assert "You already have 3 items waiting in unpaid checkouts" in said
    assert "this browser can hold at most 5 at once" in said and FINISH_OR_CANCEL in said
    # Stripe's shortest session, 30 minutes, and a margin for its clock.
    assert re.search(r"lets its items go by itself within 3[12] minutes\.", said)
    on_its_page = client.post("/products/cap/", {"quantity": "3"}, REMOTE_ADDR="203.0.113.7")
    assert on_its_page.status_code == 409
    assert "this browser can hold at most 5 at once" in form_errors(on_its_page)
    assert Order.objects.count() == 1 and len(stripe_sim.sessions) == 1
    assert started(check_out(client, {"Cap": 2}))  # up to the cap
    # Cancelling one checkout lets its units go at once: the browser may hold them again.
    first = Order.objects.earliest("created_at")
    client.get(f"/checkout/cancel/{first.public_id}/")
    assert started(check_out(client, {"Cap": 3}))


def test_one_checkout_alone_cannot_hold_more_than_the_browsers_cap(
    client, counted, stripe_sim, settings
):
    settings.STORE_MAX_HELD_UNITS_PER_BROWSER = 5
    response = check_out(client, {"T-Shirt": 3, "Cap": 3})
    said = form_errors(refused(client, response))
    assert "One checkout can hold at most 5 items, as this browser can" in said
    assert not Order.objects.exists() and stripe_sim.requests == []


def test_units_not_counted_are_not_capped(client, products, stripe_sim, settings):
    """An uncounted product keeps nothing from anyone: holding it is not capped."""
    settings.STORE_MAX_HELD_UNITS_PER_BROWSER = 5
    assert started(check_out(client, {"T-Shirt": 10}))


def test_fresh_cookies_from_one_ipv6_network_cannot_exceed_the_address_cap(
    counted, stripe_sim, settings
):
    settings.STORE_MAX_HELD_UNITS_PER_ADDRESS = 6
    network = [f"2001:db8:42:7::{n:x}" for n in range(1, 5)]

    shoppers = [Client() for _ in network]  # each with fresh cookies

    responses = [
        check_out(c, {"Cap": 2}, address=a) for c, a in zip(shoppers, network, strict=True)
    ]

    assert [started(r) for r in responses] == [True, True, True, False]
    said = form_errors(refused(shoppers[-1], responses[-1]))
    assert "your network address can hold at most 6 at once" in said
    assert Order.objects.count() == 3
    assert Order.objects.filter(client_network="2001:db8:42:7::").count() == 3
    assert started(check_out(Client(), {"Cap": 2}, address="2001:db8:42:8::1"))  # another /64


# --- The editor's per-order cap -------------------------------------------------------------


def test_the_editors_per_order_cap_is_enforced_on_the_server(admin_client, counted, stripe_sim):
    cap = variant("Cap")
    editor = admin_client.get(f"/admin/snippets/store/product/edit/{cap.product_id}/")
    assert 'name="max_per_order"' in editor.content.decode()
    published = {"max_per_order": "3", "action-publish": "action-publish"}
    assert edit(admin_client, cap, **published).status_code == 302
    assert Product.objects.get(name="Cap").max_per_order == 3
    shopper = Client()
    page = shop(shopper)
    assert page.select_one(f"#id_quantity_{cap.pk}")["max"] == "3"
    product_page = BeautifulSoup(shopper.get("/products/cap/").content, "html.parser")
    assert product_page.select_one("input[name=quantity]")["max"] == "3"

    # Posted past the input's max, as a script would.
    response = check_out(shopper, {"Cap": 4})
    assert "You can buy at most 3 of Cap at once." in form_errors(refused(shopper, response))
    on_its_page = shopper.post("/products/cap/", {"quantity": "4"})
    assert on_its_page.status_code == 400
    assert "You can buy at most 3 of Cap at once." in form_errors(on_its_page)
    assert not Order.objects.exists() and stripe_sim.requests == []
    assert started(check_out(shopper, {"Cap": 3}))


def test_a_basket_kept_from_before_a_lower_cap_shows_no_more_than_the_cap(
    client, counted, stripe_sim
):
    check_out(client, {"Cap": 5})  # the basket now holds 5 Caps
    Product.objects.filter(name="Cap").update(max_per_order=2)
    assert shop(client).select_one(f"#id_quantity_{variant('Cap').pk}")["value"] == "2"


# --- Held, not sold out ---------------------------------------------------------------------


def test_units_only_held_say_so_and_sold_out_comes_after_the_sale(
    client, products, stripe_sim, django_capture_on_commit_callbacks
):
    set_stock("Cap", 2)
    assert started(check_out(client, {"Cap": 2}))

    other = Client()
    held = "2 held in other checkouts, back soon if unpaid"
    assert badge(shop(other), "Cap") == held
    assert shop(other).select_one(f"#id_quantity_{variant('Cap').pk}").has_attr("disabled")
    product_page = BeautifulSoup(other.get("/products/cap/").content, "html.parser")
    assert product_page.select_one("#availability").text == held

    order = Order.objects.get()
    stripe_sim.pay(order.stripe_session_id)
    with django_capture_on_commit_callbacks(execute=True):  # the shop page's cache hears of it
        client.get("/checkout/success/", {"session_id": order.stripe_session_id})

    assert Order.objects.get().status == "paid"
    assert badge(shop(other), "Cap") == "Sold out"


# --- Racing checkouts (PostgreSQL) ----------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("slow_order_inserts")
@pytest.mark.parametrize("same", ["browser", "address"])
def test_two_checkouts_racing_from_one_holder_cannot_both_pass_its_cap(
    products, stripe_sim, settings, same
):
    """Each checkout alone is within the cap; together they are over it. The slow insert
    widens the gap between counting and holding: both would pass without the lock."""
    settings.STORE_MAX_HELD_UNITS_PER_BROWSER = 5
    settings.STORE_MAX_HELD_UNITS_PER_ADDRESS = 5
    set_stock("T-Shirt", 10)
    set_stock("Cap", 10)
    clients = [Client(), Client()]
    if same == "browser":
        clients[0].get("/")
        clients[1].cookies[COOKIE_NAME] = clients[0].cookies[COOKIE_NAME].value
    addresses = ["203.0.113.7", "203.0.113.7" if same == "address" else "198.51.100.7"]
    baskets = [{"T-Shirt": 3}, {"Cap": 3}]

    responses = race(2, lambda i: check_out(clients[i], baskets[i], address=addresses[i]))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert sorted(started(r) for r in responses) == [False, True]
    assert Order.objects.count() == 1
