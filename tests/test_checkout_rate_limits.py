"""Checkout floods: one browser or one client cannot start Checkout Sessions without end.

The limits count in a sliding window (store.throttling): at most N in any window-long
stretch, however the requests fall around the clock's minutes.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from store import throttling
from store.models import Order
from store.throttling import Rate, SlidingWindowLimit
from tests.conftest import quantity_field

TOO_MANY = "You have started a lot of checkouts in a short time"


class Clock:
    """Stands in for the time module inside store.throttling only."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Requests in a test arrive at one moment unless the test moves the clock: a slow
    machine cannot let the test's first checkouts age out of the window."""
    frozen = Clock(1_800_000_000.0)
    monkeypatch.setattr(throttling, "time", frozen)
    return frozen


def test_the_default_limits_are_ten_a_minute_per_browser_and_sixty_per_address():
    from mysite.settings import base

    assert (base.STORE_CHECKOUT_RATE_PER_BROWSER, base.STORE_CHECKOUT_RATE_PER_IP) == (
        "10/m",
        "60/m",
    )


def start_checkout(client: Client, products, *, form_token=None, address="203.0.113.7"):
    form = {"form_token": str(form_token or uuid.uuid4()), quantity_field(products[2]): "1"}
    return client.post("/checkout/", form, REMOTE_ADDR=address)


def alert(response) -> str:
    page = BeautifulSoup(response.content, "html.parser")
    return page.select_one(".error-summary[role=alert]").text


def test_one_browser_starts_ten_checkouts_a_minute_then_is_told_how_long_to_wait(
    client, products, stripe_sim, clock
):
    first = [start_checkout(client, products) for _ in range(5)]
    clock.now += 30
    later = [start_checkout(client, products) for _ in range(6)]

    assert [r.status_code for r in first + later] == [303] * 10 + [429]
    refused = later[-1]
    assert "Nothing was charged" in alert(refused)
    # The first five leave the window 30 s from now (rounded up to the next tenth of it).
    assert 30 <= int(refused["Retry-After"]) <= 36
    assert f"Please try again in {refused['Retry-After']} seconds." in alert(refused)
    assert Order.objects.count() == 10
    assert len(stripe_sim.sessions) == 10

    clock.now += int(refused["Retry-After"])
    assert start_checkout(client, products).status_code == 303


def test_posting_the_same_form_again_is_not_a_new_checkout_and_does_not_count(
    client, products, stripe_sim, clock
):
    form_token = uuid.uuid4()
    responses = [start_checkout(client, products, form_token=form_token) for _ in range(15)]

    assert {response.status_code for response in responses} == {303}
    assert len({response["Location"] for response in responses}) == 1
    assert Order.objects.count() == 1
    assert [start_checkout(client, products).status_code for _ in range(9)] == [303] * 9


def test_one_address_starts_sixty_checkouts_a_minute_whatever_the_browsers(
    products, stripe_sim, clock
):
    statuses = [start_checkout(Client(), products).status_code for _ in range(61)]

    assert statuses == [303] * 60 + [429]
    assert start_checkout(Client(), products, address="198.51.100.1").status_code == 303
    assert Order.objects.count() == 61


def test_an_ipv6_client_is_counted_by_its_64_whatever_address_it_takes(
    products, stripe_sim, settings, clock
):
    settings.STORE_CHECKOUT_RATE_PER_IP = "3/m"
    network = [f"2001:db8:5:5::{host:x}" for host in range(1, 5)]

    statuses = [start_checkout(Client(), products, address=a).status_code for a in network]

    assert statuses == [303, 303, 303, 429]
    assert start_checkout(Client(), products, address="2001:db8:5:6::1").status_code == 303


def test_a_refusal_by_the_address_limit_does_not_use_up_the_browsers(
    client, products, stripe_sim, settings, clock
):
    settings.STORE_CHECKOUT_RATE_PER_BROWSER = "2/m"
    settings.STORE_CHECKOUT_RATE_PER_IP = "1/m"
    assert start_checkout(client, products).status_code == 303
    assert start_checkout(client, products).status_code == 429  # the address's limit

    assert start_checkout(client, products, address="198.51.100.1").status_code == 303


def test_the_limits_are_settings(client, products, stripe_sim, settings, clock):
    settings.STORE_CHECKOUT_RATE_PER_BROWSER = "2/h"

    statuses = [start_checkout(client, products).status_code for _ in range(3)]

    assert statuses == [303, 303, 429]


@pytest.mark.parametrize("limit", ["STORE_CHECKOUT_RATE_PER_BROWSER", "STORE_CHECKOUT_RATE_PER_IP"])
def test_a_refused_checkout_makes_no_order_and_asks_stripe_nothing(
    client, products, stripe_sim, settings, limit, clock
):
    setattr(settings, limit, "1/h")
    start_checkout(client, products)
    requests_before = len(stripe_sim.requests)

    assert start_checkout(client, products).status_code == 429
    assert Order.objects.count() == 1
    assert len(stripe_sim.requests) == requests_before


# --- The sliding window itself ----------------------------------------------------------


def a_limit(rate: str) -> SlidingWindowLimit:
    return SlidingWindowLimit(f"test-{uuid.uuid4()}", Rate.parse(rate))


def test_a_window_edge_cannot_be_used_twice():
    """Issue 20: 104 checkouts in 3.4 s went through a limit of 60 a minute across the turn
    of a minute. Now the 60 just before the turn still count just after it."""
    limit = a_limit("60/m")
    minute = 1_800_000_000 // 60 * 60 + 60  # a minute's boundary

    before = [limit.hit("client", now=minute - 1 + i / 60).allowed for i in range(60)]
    after = [limit.hit("client", now=minute + i * 3.4 / 44).allowed for i in range(44)]

    assert before == [True] * 60
    assert after == [False] * 44


def test_hits_leave_the_window_and_the_refusal_says_when():
    limit = a_limit("60/m")
    start = 1_800_000_000.0  # the start of a tenth of a minute
    assert all(limit.hit("client", now=start).allowed for _ in range(60))

    refused = limit.hit("client", now=start + 59)

    assert (refused.allowed, refused.retry_after) == (False, 7)  # counted in 6 s slots
    assert not limit.hit("client", now=start + 65.9).allowed
    assert limit.hit("client", now=start + 66).allowed


def test_refused_attempts_are_not_counted():
    limit = a_limit("5/m")
    start = 1_800_000_000.0
    assert all(limit.hit("client", now=start).allowed for _ in range(5))
    assert not any(limit.hit("client", now=start + 1 + i / 10).allowed for i in range(500))

    assert limit.hit("client", now=start + 66).allowed


def test_an_allowed_hit_taken_back_frees_its_place():
    limit = a_limit("1/m")
    limit.hit("client", now=1_800_000_000.0).undo()
    assert limit.hit("client", now=1_800_000_001.0).allowed


@hypothesis_settings(max_examples=40, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=4), min_size=1, max_size=60))
def test_no_stretch_of_one_window_ever_admits_more_than_the_limit(gaps):
    limit, window = a_limit("5/10s"), 10
    now, admitted = 1_800_000_000.0, []
    for gap in gaps:
        now += gap
        if limit.hit("client", now=now).allowed:
            admitted.append(now)

    for last in admitted:
        assert sum(1 for t in admitted if last - window < t <= last) <= 5


def test_simultaneous_checkouts_are_each_counted(shared_cache):
    """In both caches. The embedded file cache's incr is a read and a write: without the
    file lock, 40 at once against a limit of 10 were all admitted. Redis's INCR is atomic."""
    limit, now, allowed = a_limit("10/m"), 1_800_000_000.0, []
    start = threading.Barrier(40)

    def checkout():
        start.wait()
        allowed.append(limit.hit("client", now=now).allowed)

    threads = [threading.Thread(target=checkout) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 10
