"""The hosted page at a session's url: paying, declines, cancelling, and the details it collects."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from stripe_simulator import StripeSimulator
from stripe_simulator.__main__ import main as simulator_main
from tests.shopping import DECLINED_CARD
from tests.simulator_support import (
    CANCEL_URL,
    browse,
    client_for,
    line,
    rendered_form,
    session_params,
    shipping_params,
    submit,
    success_url_for,
)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def label_of(page: BeautifulSoup, name: str) -> str:
    field = page.select_one(f'[name="{name}"]')
    return page.select_one(f'label[for="{field["id"]}"]').text


# --- Paying, declines and cancelling ---------------------------------------------------------


def test_paying_redirects_to_success_url(sim, checkout_session):
    status, headers, _ = submit(checkout_session.url, card="4242 4242 4242 4242")

    assert status == 303
    assert headers["Location"] == success_url_for(checkout_session.id)
    stored = sim.sessions[checkout_session.id]
    assert (stored["status"], stored["payment_status"], stored["url"]) == ("complete", "paid", None)
    assert stored["customer_details"]["email"] == "shopper@example.com"


def test_declined_card_keeps_the_session_open(sim, checkout_session):
    status, _, html = submit(checkout_session.url, card=DECLINED_CARD)

    assert status == 402
    page = soup(html)
    assert page.select_one('[role="alert"]').text == "Your card was declined. Try another card."
    card = page.select_one('input[name="card"]')
    assert (card["value"], card["aria-invalid"]) == (DECLINED_CARD, "true")
    assert "form-error" in card["aria-describedby"]
    assert sim.sessions[checkout_session.id]["status"] == "open"
    assert sim.events == []


def test_other_card_numbers_ask_for_a_test_card(sim, checkout_session):
    status, _, html = submit(checkout_session.url, card="1234 5678 9012 3456")

    assert status == 400
    assert "Use a test card" in soup(html).select_one('[role="alert"]').text
    assert sim.sessions[checkout_session.id]["status"] == "open"


def test_cancel_redirects_to_cancel_url_and_leaves_the_session_open(sim, checkout_session):
    status, headers, _ = browse(checkout_session.url, {"action": "cancel"})

    assert (status, headers["Location"]) == (303, CANCEL_URL)
    assert sim.sessions[checkout_session.id]["status"] == "open"


def test_row10_without_a_cancel_url_the_page_offers_no_cancel(sim, sdk):
    params = session_params()
    del params["cancel_url"]
    session = sdk.v1.checkout.sessions.create(params=params)

    _, _, html = browse(session.url)
    status, _, _ = submit(session.url, "cancel")

    assert soup(html).select('button[value="cancel"]') == []
    assert status == 400
    assert sim.sessions[session.id]["status"] == "open"


def test_paying_by_bank_debit_on_the_page_completes_the_session_unpaid(sim, dollar_session):
    status, headers, _ = submit(dollar_session.url, "pay_by_bank_debit", account="000123456789")

    assert (status, headers["Location"]) == (303, success_url_for(dollar_session.id))
    stored = sim.sessions[dollar_session.id]
    assert (stored["status"], stored["payment_status"]) == ("complete", "unpaid")
    _, _, html = browse(f"{sim.api_base}/pay/{dollar_session.id}")
    assert soup(html).h1.text == "Your bank debit is processing"


def test_a_rupee_session_offers_cards_only(sim, checkout_session):
    assert checkout_session.payment_method_types == ["card"]
    _, _, html = browse(checkout_session.url)
    assert soup(html).select('button[value="pay_by_bank_debit"]') == []

    status, _, html = submit(checkout_session.url, "pay_by_bank_debit", account="000123456789")

    assert status == 400
    assert "cannot be made by bank debit" in soup(html).select_one('[role="alert"]').text
    assert sim.sessions[checkout_session.id]["status"] == "open"
    assert sim.pay_delayed(checkout_session.id) is False
    assert sim.payment_intents == {}


def test_a_dollar_session_also_offers_a_bank_debit(dollar_session):
    assert dollar_session.payment_method_types == ["card", "us_bank_account"]
    _, _, html = browse(dollar_session.url)
    assert soup(html).select('button[value="pay_by_bank_debit"]')
    assert "000111111113 fails later" in html  # the bank debit's test numbers are documented


def test_an_unknown_bank_account_asks_for_a_test_account(sim, dollar_session):
    status, _, html = submit(dollar_session.url, "pay_by_bank_debit", account="12345678")

    assert status == 400
    page = soup(html)
    assert "000123456789 settles" in page.select_one('[role="alert"]').text
    assert page.select_one('input[name="account"]')["aria-invalid"] == "true"
    assert sim.sessions[dollar_session.id]["status"] == "open"


# --- What the page shows ---------------------------------------------------------------------


def test_hosted_page_escapes_names_and_shows_the_total(sdk):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(line_items=[line("<script>alert(1)</script>", 120000, 2)])
    )

    status, headers, html = browse(session.url)

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "₹2,400.00" in html and "₹1,200.00" in html
    assert '<html lang="en">' in html and "<main>" in html and "<title>" in html
    assert '<label for="card">Card number</label>' in html
    assert 'value="pay"' in html and 'value="cancel"' in html
    assert "Offline Stripe simulator" in html and "4000 0000 0000 0002" in html
    assert "000111111113" not in html  # no bank debit in rupees (see the dollar test below)


@pytest.mark.parametrize(
    ("locale", "total"),
    [("en_IN", "₹1,25,000.00"), ("en_US", "₹125,000.00"), ("de_DE", "125.000,00")],
)
def test_the_page_writes_amounts_as_its_locale_does(locale, total):
    with StripeSimulator(locale=locale) as simulator:
        session = client_for(simulator).v1.checkout.sessions.create(
            params=session_params(line_items=[line("Sofa", 12_500_000, 1)])
        )
        _, _, html = browse(session.url)

    assert f"Pay {total}" in soup(html).select_one("h1").text


def test_an_unknown_locale_is_refused_before_serving(capsys):
    with pytest.raises(SystemExit):
        simulator_main(["--port", "0", "--locale", "xx_YY"])

    assert "'xx_YY' is not a locale Babel knows" in capsys.readouterr().err


def test_without_address_collection_the_page_asks_only_for_email(checkout_session):
    _, _, html = browse(checkout_session.url)

    fields = rendered_form(html)
    assert set(fields) == {"email", "card"}
    assert fields["email"] == "shopper@example.com"
    assert label_of(soup(html), "email") == "Email"


def test_with_address_collection_the_page_asks_for_a_labelled_address(sdk):
    session = sdk.v1.checkout.sessions.create(params=shipping_params("IN", "US"))

    _, _, html = browse(session.url)

    page = soup(html)
    assert {legend.text for legend in page.select("legend")} >= {"Contact", "Shipping address"}
    assert rendered_form(html) == {
        "email": "shopper@example.com",
        "phone": "+91 98765 43210",
        "name": "Asha Rao",
        "line1": "12 MG Road",
        "line2": "",
        "city": "Bengaluru",
        "postal_code": "560001",
        "state": "KA",
        "country": "IN",
        "card": "4242 4242 4242 4242",
    }
    assert [option["value"] for option in page.select("#country option")] == ["IN", "US"]
    assert label_of(page, "postal_code") == "PIN code"
    assert label_of(page, "line2") == "Address line 2 (optional)"
    required = {field["name"] for field in page.select("[required]")}
    assert required == {
        "email",
        "phone",
        "name",
        "line1",
        "city",
        "postal_code",
        "state",
        "country",
    }


def test_a_country_the_shop_does_not_ship_to_is_not_preselected(sdk):
    session = sdk.v1.checkout.sessions.create(params=shipping_params("GB", "US"))
    _, _, html = browse(session.url)
    assert rendered_form(html)["country"] == "GB"


@pytest.mark.parametrize(
    "changes, invalid",
    [
        ({"city": "", "postal_code": " "}, {"city", "postal_code"}),
        ({"email": "not an email"}, {"email"}),
        ({"phone": ""}, {"phone"}),
        ({"name": "", "line1": ""}, {"name", "line1"}),
    ],
)
def test_missing_details_re_render_the_page_with_an_alert(sim, sdk, changes, invalid):
    session = sdk.v1.checkout.sessions.create(params=shipping_params())

    status, _, html = submit(session.url, **changes)

    assert status == 400
    page = soup(html)
    alert = page.select_one('[role="alert"]')
    assert alert.text.startswith("Some details are missing or wrong:")
    assert len(alert.select("li")) == len(invalid)
    assert {field["name"] for field in page.select('[aria-invalid="true"]')} == invalid
    assert rendered_form(html)["card"] == "4242 4242 4242 4242"  # what was typed stays
    assert sim.sessions[session.id]["status"] == "open"
    assert sim.events == []


def test_a_country_outside_the_allowed_list_is_refused(sim, sdk):
    session = sdk.v1.checkout.sessions.create(params=shipping_params("IN"))

    status, _, html = submit(session.url, country="US")

    assert status == 400
    assert "does not deliver to US" in soup(html).select_one('[role="alert"]').text
    assert sim.sessions[session.id]["status"] == "open"


# --- Closed sessions and unknown pages -----------------------------------------------------------


@pytest.mark.parametrize(
    "close, heading, link",
    [
        ("expire", "This checkout session has expired", CANCEL_URL),
        ("pay", "This checkout session is already paid", None),
        ("pay_delayed", "Your bank debit is processing", None),
        ("complete_without_payment", "This checkout session is complete", None),
    ],
)
def test_closed_sessions_say_so_and_offer_no_pay_button(sim, dollar_session, close, heading, link):
    getattr(sim, close)(dollar_session.id)

    status, _, html = browse(f"{sim.api_base}/pay/{dollar_session.id}")

    assert status == 200
    assert soup(html).h1.text == heading
    assert "<button" not in html
    assert f'href="{link or success_url_for(dollar_session.id)}"' in html
    status, _, _ = submit(f"{sim.api_base}/pay/{dollar_session.id}")
    assert status == 409


def test_a_failed_bank_debit_says_nothing_was_charged(sim, dollar_session):
    sim.pay_delayed(dollar_session.id, succeed=False)
    sim.settle(dollar_session.id)

    _, _, html = browse(f"{sim.api_base}/pay/{dollar_session.id}")

    assert soup(html).h1.text == "Your bank debit failed"
    assert "Nothing was charged" in html


def test_unknown_sessions_and_paths_are_404_pages(sim):
    for path in ("/pay/cs_test_missing", "/favicon.ico"):
        status, _, html = browse(sim.api_base + path)
        assert status == 404
        assert "Checkout session not found" in html
