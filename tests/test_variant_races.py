"""Stock per size under real concurrency: four gunicorn workers on PostgreSQL, twenty shoppers
at once for the last three units of one size, while another size stays on sale."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from store import stock
from store.models import Order, Product, ProductVariant
from tests.conftest import give_sizes, requires_postgres
from tests.servers import gunicorn_shop
from tests.shopping import Shopper
from tests.test_concurrency import race
from tests.test_stock_races import slow_order_inserts  # noqa: F401 (a fixture)

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MEDIUM, LARGE = "T-Shirt — M", "T-Shirt — L"


def on_hand_and_left(size: str) -> tuple[int, int]:
    variant = stock.with_held_units(
        ProductVariant.objects.filter(product__name="T-Shirt", value_1=size)
    ).get()
    return variant.stock, variant.stock - variant.held_units


def test_twenty_shoppers_race_for_the_last_three_of_one_size(
    products,
    stripe_sim,
    slow_order_inserts,  # noqa: F811 (the fixture imported above)
):
    give_sizes(Product.objects.get(name="T-Shirt"), {"M": 3, "L": 5})
    with gunicorn_shop(workers=4, env={"STRIPE_API_BASE": stripe_sim.api_base}) as base_url:
        shoppers = [Shopper(base_url) for _ in range(20)]
        forms = [shopper.checkout_form() for shopper in shoppers]

        responses = race(20, lambda i: shoppers[i].submit(forms[i], **{MEDIUM: 1}))

        assert not [r for r in responses if isinstance(r, Exception)], responses
        to_stripe = [
            i for i, r in enumerate(responses) if not r.headers["Location"].startswith("/")
        ]
        turned_away = [i for i in range(20) if i not in to_stripe]
        assert (len(to_stripe), len(turned_away)) == (3, 17)
        for i in turned_away:
            # Refused by the hold or by the form, and said on the shop page it redirects to.
            assert responses[i].status_code == 303
            assert responses[i].headers["Location"] == "/#error-summary"
            page = BeautifulSoup(shoppers[i].get("/").text, "html.parser")
            said = " ".join(node.text for node in page.select("[role=alert], .field-error"))
            # Sold out under the lock, or, on a page built after, held by the winners.
            assert f"Sorry, {MEDIUM}" in said
            assert "sold out" in said or "held in other shoppers' checkouts" in said
        assert len(stripe_sim.sessions) == 3
        assert on_hand_and_left("M") == (3, 0)
        # The other size was neither held nor locked out: a turned-away shopper buys one.
        assert on_hand_and_left("L") == (5, 5)
        late = turned_away[0]
        # (The shop page shows the basket they tried: they clear M and choose L.)
        to_stripe_again = shoppers[late].checkout(**{MEDIUM: 0, LARGE: 2})
        assert to_stripe_again.headers["Location"].startswith(stripe_sim.api_base)
        assert on_hand_and_left("L") == (5, 3)

    assert Order.objects.filter(lines__variant__value_1="M").count() == 3
