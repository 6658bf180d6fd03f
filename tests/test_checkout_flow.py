"""A shopper pays through Stripe Checkout (the offline simulator), over real HTTP."""

from __future__ import annotations

import pytest

from store.models import Order
from tests.shopping import DECLINED_CARD, Shopper, messages, my_orders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(params=["reliable", "lossy"], ids=["no-retries", "first-answers-lost"])
def network(request, stripe_sim, settings) -> str:
    """Every flow twice: with no SDK retries, as most tests run, and with production's one
    retry against a Stripe that loses its first answer to every request (after doing the
    work), so only the idempotent retry gets through."""
    if request.param == "lossy":
        settings.STRIPE_MAX_NETWORK_RETRIES = 1
        stripe_sim.lose_first_answers()
    return request.param


@pytest.fixture
def shopper(shop_server, network) -> Shopper:
    return Shopper(shop_server.url)


def test_happy_path_pays_once_and_shows_the_order_in_my_orders(shopper, stripe_sim, paid_signals):
    to_stripe = shopper.checkout(T_Shirt=2, Cap=1)

    assert to_stripe.status_code == 303
    session_id = to_stripe.headers["Location"].rsplit("/", 1)[1]
    assert to_stripe.headers["Location"] == f"{stripe_sim.api_base}/pay/{session_id}"
    order = Order.objects.get()
    assert (order.status, order.stripe_session_id, order.amount_total) == (
        "pending",
        session_id,
        130000,
    )

    landing = shopper.follow_to_shop(shopper.pay(to_stripe.headers["Location"]))

    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    assert order.customer_email == "shopper@example.com"
    assert order.stripe_payment_intent_id.startswith("pi_")
    assert f"Payment received — order #{order.number}. Thank you!" in messages(landing)
    assert my_orders(landing) == [
        {
            "number": str(order.number),
            "lines": ["2 × T-Shirt", "1 × Cap"],
            "total": "₹1,300.00",
            "status": "Paid",
        }
    ]
    assert paid_signals == [order.pk]


def test_the_checkout_session_is_built_from_the_order(shopper, stripe_sim):
    shopper.checkout(T_Shirt=2, Cap=1)
    order = Order.objects.get()
    creates = [r for r in stripe_sim.requests if r.method == "POST"]
    # One request, sent again only by the SDK's retry: same key, same parameters.
    assert len({(r.idempotency_key, repr(r.params)) for r in creates}) == 1
    create = creates[0]
    params = create.params

    assert params["mode"] == "payment"
    # As sent on the wire: form-encoded, so every value is a string.
    assert params["line_items"] == [
        {
            "quantity": "2",
            "price_data": {
                "currency": "inr",
                "unit_amount": "50000",
                "product_data": {"name": "T-Shirt"},
            },
        },
        {
            "quantity": "1",
            "price_data": {
                "currency": "inr",
                "unit_amount": "30000",
                "product_data": {"name": "Cap"},
            },
        },
    ]
    assert params["client_reference_id"] == str(order.pk)
    assert params["metadata"] == {
        "order_id": str(order.pk),
        "mini_store_order": str(order.public_id),
    }
    assert params["success_url"].endswith("/checkout/success/?session_id={CHECKOUT_SESSION_ID}")
    assert params["cancel_url"].endswith(f"/checkout/cancel/{order.public_id}/")
    assert int(params["expires_at"]) - order.created_at.timestamp() >= 30 * 60
    assert create.idempotency_key == f"order-{order.public_id}-checkout-session"
    assert [(line.product_name, line.unit_amount, line.quantity) for line in order.lines.all()] == [
        ("T-Shirt", 50000, 2),
        ("Cap", 30000, 1),
    ]


def test_success_page_five_times_and_back_and_refresh_is_one_paid_transition(
    shopper, stripe_sim, paid_signals
):
    to_stripe = shopper.checkout(Shoes=1)
    back_from_stripe = shopper.pay(to_stripe.headers["Location"])
    success_url = back_from_stripe.headers["Location"]
    first_paid_at = None
    for _ in range(5):
        landing = shopper.follow_to_shop(shopper.get(success_url))
        order = Order.objects.get()
        first_paid_at = first_paid_at or order.paid_at
        assert order.paid_at == first_paid_at
    # Back to Stripe's page, then forward again, then a plain refresh of the shop.
    assert "already paid" in shopper.get(to_stripe.headers["Location"]).text
    shopper.follow_to_shop(shopper.get(success_url))
    landing = shopper.shop()

    assert Order.objects.filter(status="paid").count() == 1
    assert paid_signals == [Order.objects.get().pk]
    assert len(my_orders(landing)) == 1


def test_the_same_form_posted_twice_is_one_order_and_one_session(shopper, stripe_sim):
    form = shopper.checkout_form()
    first = shopper.submit(form, Cap=3)
    second = shopper.submit(form, Cap=3)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert Order.objects.count() == 1
    assert len(stripe_sim.sessions) == 1


def test_a_second_tab_makes_its_own_order(shopper, stripe_sim):
    first = shopper.checkout(Cap=1)
    second = shopper.checkout(Cap=1)
    assert first.headers["Location"] != second.headers["Location"]
    assert Order.objects.count() == 2


def test_posting_a_paid_form_again_does_not_start_a_new_payment(shopper, stripe_sim):
    form = shopper.checkout_form()
    shopper.follow_to_shop(shopper.pay(shopper.submit(form, Cap=1).headers["Location"]))

    landing = shopper.follow_to_shop(shopper.submit(form, Cap=1))

    order = Order.objects.get()
    assert f"You have already paid for this basket: order #{order.number}." in messages(landing)
    assert len(stripe_sim.sessions) == 1


def test_an_amount_mismatch_is_not_marked_paid(shopper, stripe_sim, paid_signals, caplog):
    to_stripe = shopper.checkout(Cap=1)
    order = Order.objects.get()
    stripe_sim.tamper(order.stripe_session_id, amount_total=100)

    landing = shopper.follow_to_shop(shopper.pay(to_stripe.headers["Location"]))

    order.refresh_from_db()
    assert order.status == "pending" and order.paid_at is None
    assert order.needs_attention
    assert order.attention_reason.startswith("Stripe's payment does not match the order")
    assert paid_signals == []
    assert any("NOT marking the order paid" in record.message for record in caplog.records)
    assert any("could not match the payment" in message for message in messages(landing))
    assert my_orders(landing) == []


def test_a_currency_mismatch_is_not_marked_paid(shopper, stripe_sim):
    to_stripe = shopper.checkout(Cap=1)
    stripe_sim.tamper(Order.objects.get().stripe_session_id, currency="usd")
    shopper.follow_to_shop(shopper.pay(to_stripe.headers["Location"]))
    assert Order.objects.get().status == "pending"


def test_a_declined_card_says_so_and_leaves_the_order_unpaid(shopper, stripe_sim):
    to_stripe = shopper.checkout(Cap=1)
    declined = shopper.pay(to_stripe.headers["Location"], card=DECLINED_CARD)

    assert declined.status_code == 402
    assert "Your card was declined" in declined.text
    assert Order.objects.get().status == "pending"
    assert my_orders(shopper.shop()) == []


def test_cancel_expires_the_session_and_says_nothing_was_charged(shopper, stripe_sim):
    to_stripe = shopper.checkout(Cap=1)
    landing = shopper.follow_to_shop(shopper.cancel_on_stripe(to_stripe.headers["Location"]))

    order = Order.objects.get()
    assert order.status == "cancelled"
    assert stripe_sim.sessions[order.stripe_session_id]["status"] == "expired"
    assert f"Checkout cancelled. Nothing was charged for order #{order.number}." in messages(
        landing
    )
    # The Stripe page can no longer be paid.
    assert shopper.pay(to_stripe.headers["Location"]).status_code != 303
    assert Order.objects.get().status == "cancelled"


def test_an_expired_session_leaves_the_order_expired(shopper, stripe_sim):
    to_stripe = shopper.checkout(Cap=1)
    order = Order.objects.get()
    stripe_sim.expire(order.stripe_session_id)

    success = shopper.get(f"/checkout/success/?session_id={order.stripe_session_id}")
    landing = shopper.follow_to_shop(success)

    order.refresh_from_db()
    assert order.status == "expired"
    assert f"Order #{order.number} expired before it was paid. Nothing was charged." in messages(
        landing
    )
    assert "expired" in shopper.get(to_stripe.headers["Location"]).text


def test_another_browser_sees_none_of_my_orders_and_not_my_success_page(shopper, shop_server):
    shopper.buy(Cap=1)
    order = Order.objects.get()
    stranger = Shopper(shop_server.url)

    assert my_orders(stranger.shop()) == []
    peek = stranger.get(f"/checkout/success/?session_id={order.stripe_session_id}")
    assert peek.status_code == 404
    assert f"#{order.number}" not in peek.text and "Cap" not in peek.text
    assert stranger.get(f"/checkout/cancel/{order.public_id}/").status_code == 404
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize(
    "session_id", ["", "nonsense", "cs_test_doesnotexist", "cs_test_<script>", "x" * 5000]
)
def test_unknown_or_malformed_session_ids_get_a_friendly_404(shopper, stripe_sim, session_id):
    response = shopper.get(f"/checkout/success/?session_id={session_id}")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert stripe_sim.requests == []
