"""The basket: kept in the session from Checkout until paid, so cancel, a declined card, an
expired session and the back button all return to the same quantities; empty once paid.
And the refused checkout: Post/Redirect/Get to an error summary at the top of the shop."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from home import shop_page
from store.models import Order
from tests.conftest import behind_the_shops_back, set_stock
from tests.shopping import DECLINED_CARD, Shopper, messages

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def shopper(shop_server) -> Shopper:
    return Shopper(shop_server.url)


def quantities(page: BeautifulSoup) -> dict[str, str]:
    """Each product's quantity as the shop page shows it, by product name."""
    return {
        field.find_previous("label").text.removeprefix("Quantity of "): field["value"]
        for field in page.select("form.checkout-form input[type=number]")
    }


def shown_total(page: BeautifulSoup) -> str:
    return page.select_one("output[data-basket-total]").text


def test_cancel_on_stripe_brings_back_the_basket_with_its_total(shopper):
    to_stripe = shopper.checkout(T_Shirt=2, Cap=1)

    page = shopper.follow_to_shop(shopper.cancel_on_stripe(to_stripe.headers["Location"]))

    assert quantities(page) == {"T-Shirt": "2", "Shoes": "0", "Cap": "1"}
    assert shown_total(page) == "₹1,300.00"
    assert Order.objects.get().status == "cancelled"


def test_a_declined_card_then_cancel_brings_back_the_basket(shopper):
    to_stripe = shopper.checkout(Shoes=1)
    declined = shopper.pay(to_stripe.headers["Location"], DECLINED_CARD)
    assert declined.status_code == 402 and "declined" in declined.text  # the page stays open

    page = shopper.follow_to_shop(shopper.cancel_on_stripe(to_stripe.headers["Location"]))

    assert quantities(page)["Shoes"] == "1" and shown_total(page) == "₹1,200.00"


def test_the_back_button_and_an_expired_session_show_the_basket(shopper, stripe_sim):
    shopper.checkout(Cap=3)
    assert quantities(shopper.shop())["Cap"] == "3"  # back from Stripe's page, no cancel

    stripe_sim.expire(Order.objects.get().stripe_session_id)

    assert quantities(shopper.shop())["Cap"] == "3"


def test_the_basket_empties_once_paid_and_other_shoppers_never_see_it(shopper, shop_server):
    stranger = Shopper(shop_server.url)
    stranger.shop()  # the shared rendering now exists
    shopper.checkout(T_Shirt=1)
    assert quantities(stranger.shop()) == {"T-Shirt": "0", "Shoes": "0", "Cap": "0"}

    page = shopper.buy(Cap=2)

    assert quantities(page) == {"T-Shirt": "0", "Shoes": "0", "Cap": "0"}
    assert shown_total(page) == "₹0.00"


def test_a_basket_paid_by_webhook_alone_is_empty_next_time(shopper, stripe_sim):
    to_stripe = shopper.checkout(Shoes=2)
    shopper.pay(to_stripe.headers["Location"])  # the browser never comes back
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)

    assert quantities(shopper.shop())["Shoes"] == "0"


def test_a_refused_checkout_redirects_to_an_error_summary_that_links_each_field(shopper):
    form = shopper.checkout_form()
    response = shopper.submit(form, T_Shirt="two", Cap=11)

    assert response.status_code == 303 and response.headers["Location"] == "/#error-summary"
    page = BeautifulSoup(shopper.get("/").text, "html.parser")
    summary = page.select_one("main > .error-summary[role=alert][tabindex='-1']")
    assert summary is not None and summary.find_next("h1") is not None  # above everything
    links = [(link["href"], link.text) for link in summary.select("a")]
    fields = shopper.quantity_fields
    assert links == [
        (f"#id_{fields['T-Shirt']}", "Enter a whole number of T-Shirt from 0 to 10."),
        (f"#id_{fields['Cap']}", "You can buy at most 10 of Cap at once."),
    ]
    assert quantities(page) == {"T-Shirt": "two", "Shoes": "0", "Cap": "11"}  # as typed
    assert shown_total(page) == "—"

    again = BeautifulSoup(shopper.get("/").text, "html.parser")  # a refresh posts nothing
    assert again.select_one(".error-summary") is None
    assert Order.objects.count() == 0


def test_a_refused_checkout_is_never_shown_to_anyone_else(shopper, shop_server):
    shopper.submit(shopper.checkout_form(), Cap=-1)
    shop_page.forget_worker_copy()

    stranger = BeautifulSoup(Shopper(shop_server.url).get("/").text, "html.parser")
    mine = BeautifulSoup(shopper.get("/").text, "html.parser")

    assert (
        stranger.select_one(".error-summary") is None and "-1" not in quantities(stranger).values()
    )
    assert mine.select_one(".error-summary") is not None


def test_stripe_down_keeps_the_basket_and_says_so(shopper, stripe_sim):
    stripe_sim.fail_next(500)
    response = shopper.checkout(Shoes=1, Cap=2)

    assert response.headers["Location"] == "/"
    page = BeautifulSoup(shopper.get("/").text, "html.parser")
    assert "Payment could not be started" in " ".join(messages(page))
    assert quantities(page) == {"T-Shirt": "0", "Shoes": "1", "Cap": "2"}


def test_a_product_sold_out_since_leaves_the_basket_and_its_total(shopper):
    to_stripe = shopper.checkout(T_Shirt=1, Cap=2)
    shopper.follow_to_shop(shopper.cancel_on_stripe(to_stripe.headers["Location"]))
    set_stock("Cap", 0)
    behind_the_shops_back()

    page = shopper.shop()

    assert quantities(page) == {"T-Shirt": "1", "Shoes": "0", "Cap": "0"}
    assert shown_total(page) == "₹500.00"
