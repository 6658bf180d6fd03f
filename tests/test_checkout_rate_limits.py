"""Checkout floods: one browser or one address cannot start Checkout Sessions without end."""

from __future__ import annotations

import uuid

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from store.models import Order

TOO_MANY = "You have started a lot of checkouts in the last minute"


@pytest.fixture(autouse=True)
def hourly_windows(settings):
    """The default limits per hour instead of per minute. django-ratelimit counts in fixed
    windows; a test's requests falling across a minute's boundary would start counting
    afresh (and make the test flaky); an hour's boundary they practically never cross."""
    settings.STORE_CHECKOUT_RATE_PER_BROWSER = "10/h"
    settings.STORE_CHECKOUT_RATE_PER_IP = "60/h"


def test_the_default_limits_are_ten_a_minute_per_browser_and_sixty_per_address():
    from mysite.settings import base

    assert (base.STORE_CHECKOUT_RATE_PER_BROWSER, base.STORE_CHECKOUT_RATE_PER_IP) == (
        "10/m",
        "60/m",
    )


def start_checkout(client: Client, products, *, form_token=None, address="203.0.113.7"):
    form = {"form_token": str(form_token or uuid.uuid4()), f"quantity_{products[2].pk}": "1"}
    return client.post("/checkout/", form, REMOTE_ADDR=address)


def alert(response) -> str:
    page = BeautifulSoup(response.content, "html.parser")
    return page.select_one(".form-errors[role=alert]").text


def test_one_browser_starts_ten_checkouts_a_minute_then_is_told_to_wait(
    client, products, stripe_sim
):
    responses = [start_checkout(client, products) for _ in range(11)]

    assert [response.status_code for response in responses] == [303] * 10 + [429]
    refused = responses[-1]
    assert TOO_MANY in alert(refused) and "Nothing was charged" in alert(refused)
    assert refused["Retry-After"] == "60"
    assert Order.objects.count() == 10
    assert len(stripe_sim.sessions) == 10


def test_posting_the_same_form_again_is_not_a_new_checkout_and_does_not_count(
    client, products, stripe_sim
):
    form_token = uuid.uuid4()
    responses = [start_checkout(client, products, form_token=form_token) for _ in range(15)]

    assert {response.status_code for response in responses} == {303}
    assert len({response["Location"] for response in responses}) == 1
    assert Order.objects.count() == 1
    assert [start_checkout(client, products).status_code for _ in range(9)] == [303] * 9


def test_one_address_starts_sixty_checkouts_a_minute_whatever_the_browsers(products, stripe_sim):
    statuses = [start_checkout(Client(), products).status_code for _ in range(61)]

    assert statuses == [303] * 60 + [429]
    assert start_checkout(Client(), products, address="198.51.100.1").status_code == 303
    assert Order.objects.count() == 61


def test_the_limits_are_settings(client, products, stripe_sim, settings):
    settings.STORE_CHECKOUT_RATE_PER_BROWSER = "2/h"

    statuses = [start_checkout(client, products).status_code for _ in range(3)]

    assert statuses == [303, 303, 429]


@pytest.mark.parametrize("limit", ["STORE_CHECKOUT_RATE_PER_BROWSER", "STORE_CHECKOUT_RATE_PER_IP"])
def test_a_refused_checkout_makes_no_order_and_asks_stripe_nothing(
    client, products, stripe_sim, settings, limit
):
    setattr(settings, limit, "1/h")
    start_checkout(client, products)
    requests_before = len(stripe_sim.requests)

    assert start_checkout(client, products).status_code == 429
    assert Order.objects.count() == 1
    assert len(stripe_sim.requests) == requests_before
