"""Stock under real concurrency: four gunicorn workers on PostgreSQL, twenty shoppers at once."""

from __future__ import annotations

from collections import Counter

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection

from store import stock
from store.models import Order, ProductVariant
from tests.conftest import requires_postgres, set_stock
from tests.servers import gunicorn_shop
from tests.shopping import Shopper
from tests.test_concurrency import race

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def slow_order_inserts(db):
    """Every new order takes 0.2 s to insert, widening the window between checking what is
    left and holding it: checkouts that overlap there oversell unless the lock orders them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION store_test_slow_insert() RETURNS trigger AS "
            "$$ BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER store_test_slow_insert BEFORE INSERT ON store_order "
            "FOR EACH ROW EXECUTE FUNCTION store_test_slow_insert()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER store_test_slow_insert ON store_order")
        cursor.execute("DROP FUNCTION store_test_slow_insert()")


def on_hand_and_left() -> tuple[int, int]:
    shirt = stock.with_held_units(ProductVariant.objects.filter(product__name="T-Shirt")).get()
    return shirt.stock, shirt.stock - shirt.held_units


def test_twenty_shoppers_race_for_the_last_three_units(products, stripe_sim, slow_order_inserts):
    set_stock("T-Shirt", 3)
    with gunicorn_shop(workers=4, env={"STRIPE_API_BASE": stripe_sim.api_base}) as base_url:
        stripe_sim.webhook_url = f"{base_url}/stripe/webhook/"
        stripe_sim.webhook_secret = settings.STRIPE_WEBHOOK_SECRET
        shoppers = [Shopper(base_url) for _ in range(20)]
        forms = [shopper.checkout_form() for shopper in shoppers]

        responses = race(20, lambda i: shoppers[i].submit(forms[i], T_Shirt=1))

        assert not [r for r in responses if isinstance(r, Exception)], responses
        assert Counter(r.status_code for r in responses) == {303: 3 + 17}
        turned_away = [i for i, r in enumerate(responses) if r.headers["Location"].startswith("/")]
        assert len(turned_away) == 17
        for i in turned_away:
            # Refused by the hold (it ran out meanwhile) or by the form (it had run out),
            # and shown on the shop page the refusal redirects to.
            assert responses[i].headers["Location"] == "/#error-summary"
            page = BeautifulSoup(shoppers[i].get("/").text, "html.parser")
            said = " ".join(node.text for node in page.select("[role=alert], .field-error"))
            # Sold out under the lock, or, on a page built after, held by the winners.
            assert "Sorry, T-Shirt" in said
            assert "sold out" in said or "held in other shoppers' checkouts" in said
        assert len(stripe_sim.sessions) == 3
        assert on_hand_and_left() == (3, 0)

        first, second, third = [i for i in range(20) if i not in turned_away]
        late = turned_away[0]
        # One shopper cancels; a shopper who was turned away buys the unit.
        shoppers[first].follow_to_shop(
            shoppers[first].cancel_on_stripe(responses[first].headers["Location"])
        )
        assert on_hand_and_left() == (3, 1)
        again = shoppers[late].checkout(T_Shirt=1)
        assert again.status_code == 303
        # Two pay; the one who bought late lets the session expire.
        for winner in (second, third):
            shoppers[winner].follow_to_shop(
                shoppers[winner].pay(responses[winner].headers["Location"])
            )
        expiring = Order.objects.get(checkout_url=again.headers["Location"])
        stripe_sim.expire(expiring.stripe_session_id)
        stripe_sim.wait_for_deliveries(4)  # 2 completed, 1 cancelled, 1 expired

    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses == {"paid": 2, "cancelled": 1, "expired": 1}
    assert on_hand_and_left() == (1, 1)
    assert not Order.objects.filter(needs_attention=True).exists()
