"""The refund form on the order's page: amounts read as the shop's locale writes them
(ambiguous ones refused), an explicit "everything that is left", a confirmation before
Stripe is asked, and units put back into stock once when the refund succeeds."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from store.models import Order, ProductVariant, Refund
from tests import test_refunds
from tests.admin_pages import admin_messages
from tests.conftest import set_stock
from tests.test_refunds import (
    ORDERS,
    ask_to_refund,
    confirmation_form,
    fields_of,
    refund,
    refund_requests,
)
from tests.test_webhooks import deliver

paid_order = test_refunds.paid_order
refunder = test_refunds.refunder


@pytest.mark.parametrize("typed", ["1,5", "1,50", "1.000"])
def test_an_ambiguous_amount_is_refused_and_nothing_is_asked(
    refunder, paid_order, stripe_sim, typed
):
    response = ask_to_refund(refunder, paid_order, amount=typed)

    [message] = admin_messages(response)
    assert message.startswith(f"No refund was made: “{typed}” is ambiguous")
    assert "as in 1,23,456.00" in message
    assert confirmation_form(response, paid_order) is None
    assert Refund.objects.count() == 0 and refund_requests(stripe_sim) == []


def test_an_empty_amount_is_not_everything(refunder, paid_order, stripe_sim):
    response = ask_to_refund(refunder, paid_order, amount="", refund_all="")

    assert admin_messages(response)[0].startswith(
        "No refund was made: Type the amount to refund, or choose “Refund everything that is left”."
    )
    assert Refund.objects.count() == 0 and refund_requests(stripe_sim) == []


def test_the_confirmation_shows_the_amount_and_what_is_left_and_only_yes_refunds(
    refunder, paid_order, stripe_sim
):
    asked = ask_to_refund(refunder, paid_order, amount="1,000.50")

    page = BeautifulSoup(asked.content, "html.parser")
    assert page.select_one("h2.w-h2").text == f"Refund ₹1,000.50 of {paid_order}?"
    figures = {figure.dt.text: figure.dd.text for figure in page.select(".nice-padding dl > div")}
    assert figures == {
        "Paid": "₹1,300.00",
        "Refunded or being refunded": "₹0.00",
        "This refund": "₹1,000.50",
        "Left after it": "₹299.50",
    }
    assert Refund.objects.count() == 0 and refund_requests(stripe_sim) == []

    done = refunder.post(
        f"{ORDERS}refund/{paid_order.pk}/", fields_of(confirmation_form(asked, paid_order))
    )

    assert done.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 100050
    [made] = refund_requests(stripe_sim)
    assert made.params["amount"] == "100050"


def test_everything_that_is_left_is_its_own_choice(refunder, paid_order, stripe_sim):
    both = ask_to_refund(refunder, paid_order, amount="5", refund_all="on")
    assert admin_messages(both)[0].startswith("No refund was made: Type an amount or choose")
    refund(refunder, paid_order, amount="300")
    asked = ask_to_refund(refunder, paid_order, amount="", refund_all="on")
    assert BeautifulSoup(asked.content, "html.parser").select_one("h2.w-h2").text == (
        f"Refund ₹1,000.00 of {paid_order}?"
    )

    refund(refunder, paid_order, amount="", refund_all="on")

    paid_order.refresh_from_db()
    assert paid_order.refund_state == "Refunded"


# The units go back after the refund's transaction commits (refund_succeeded), as in production.
restocking = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def counted_shirts(db):
    """T-Shirts counted in stock (10) before the paid order (2 of them) is made."""
    set_stock("T-Shirt", 10)


def shirts_in_stock() -> int:
    return ProductVariant.objects.get(product__name="T-Shirt").stock


@restocking
def test_units_go_back_once_per_order_when_the_refund_succeeds(
    counted_shirts, refunder, paid_order, stripe_sim
):
    assert shirts_in_stock() == 8
    refund(refunder, paid_order, amount="300", restock="on")
    assert shirts_in_stock() == 10
    assert Refund.objects.get().restocked_at is not None

    refund(refunder, paid_order, amount="", refund_all="on", restock="on")

    assert shirts_in_stock() == 10  # once per order, however many refunds ask
    assert Order.objects.get().refund_state == "Refunded"


@restocking
def test_a_pending_refund_restocks_when_stripe_settles_it_and_not_before(
    counted_shirts, client, refunder, paid_order, stripe_sim
):
    stripe_sim.make_next_refunds_pending()
    refund(refunder, paid_order, amount="", refund_all="on", restock="on")
    made = Refund.objects.get()
    assert (made.status, made.restock, shirts_in_stock()) == ("pending", True, 8)

    stripe_sim.settle_refund(made.stripe_refund_id)
    [updated] = [e for e in stripe_sim.events if e["type"] == "refund.updated"]
    deliver(client, updated)
    deliver(client, updated)

    assert shirts_in_stock() == 10


@restocking
def test_without_the_choice_stock_stays_as_it_is(counted_shirts, refunder, paid_order, stripe_sim):
    refund(refunder, paid_order, amount="", refund_all="on")
    assert shirts_in_stock() == 8
    assert Refund.objects.get().restock is False
