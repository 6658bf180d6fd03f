"""Issue 24 in a real browser: the emailed link opens the order on another device (a fresh
browser context), "Find my order", a basket that survives cancel and a declined card, and
an error summary that takes focus on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from store.models import Order, OrderEmail
from tests.browser.admin import sign_in
from tests.browser.conftest import DESKTOP, axe_violations
from tests.browser.shop import DECLINED_CARD, check_out, checkout_button, choose, pay
from tests.mail_server import run_worker, text_and_html

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
SHOPPER_EMAIL = "shopper@example.com"  # what the simulator's page fills in
LINK = re.compile(r"https?://\S+?(/orders/[^\s/]+/)")


@pytest.fixture
def emailed(mail_server, shop_server, settings):
    """Owed emails sent now by the worker, through SMTP; links in them point at this shop."""
    settings.WAGTAILADMIN_BASE_URL = shop_server.url

    def send_and_find_link(to: str) -> str | None:
        run_worker()
        received = mail_server.to(to)
        if not received:
            return None
        text, html = text_and_html(received[-1])
        (path,) = set(LINK.findall(text))
        assert path in html
        return f"{shop_server.url}{path}"

    return send_and_find_link


def sized(page: Page, viewport: dict) -> Page:
    page.set_viewport_size(viewport)
    return page


def quantity(page: Page, name: str):
    return page.get_by_label(f"Quantity of {name}", exact=True)


@VIEWPORTS
def test_the_emailed_link_shows_paid_then_shipped_on_another_device(
    new_context, shop_server, stripe_sim, emailed, django_user_model, viewport
):
    laptop = new_context().new_page()
    laptop.goto(f"{shop_server.url}/")
    check_out(laptop, {"T-Shirt": 1, "Cap": 2})
    pay(laptop)
    expect(laptop.locator(".messages li")).to_contain_text(["Payment received"])
    order = Order.objects.get()

    phone = sized(new_context().new_page(), viewport)  # no cookie, no session: another device
    phone.goto(emailed(SHOPPER_EMAIL))
    expect(phone.get_by_role("heading", name=f"Order #{order.number}")).to_be_visible()
    expect(phone.locator(".status")).to_have_text("Paid")
    expect(phone.locator(".order-total")).to_have_text("₹1,100.00")
    expect(phone).to_have_title(f"Order #{order.number} · Mini Store")
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    django_user_model.objects.create_superuser("packer", "packer@example.com", "a password")
    staff = new_context().new_page()
    sign_in(staff, shop_server.url, "packer", "a password")
    staff.goto(f"{shop_server.url}/admin/orders/inspect/{order.pk}/")
    staff.get_by_label("Carrier", exact=True).select_option("Delhivery")
    staff.get_by_label("Tracking number").fill("1234567890")
    staff.get_by_role("button", name="Mark shipped").click()
    expect(staff.get_by_text("marked shipped")).to_be_visible()

    shipped_link = emailed(SHOPPER_EMAIL)  # the shipped notice carries the same page
    phone.goto(shipped_link)
    expect(phone.locator(".status")).to_have_text("Shipped")
    track = phone.get_by_role("link", name=re.compile("track your parcel with Delhivery"))
    expect(track).to_have_attribute("href", "https://www.delhivery.com/track/package/1234567890")
    assert "noreferrer" in track.get_attribute("rel")
    assert axe_violations(phone) == []


@VIEWPORTS
def test_find_my_order_sends_one_email_for_a_real_order_and_none_for_a_wrong_one(
    new_context, shop_server, stripe_sim, emailed, mail_server, viewport
):
    buyer = new_context().new_page()
    buyer.goto(f"{shop_server.url}/")
    check_out(buyer, {"Shoes": 1})
    pay(buyer)
    expect(buyer.locator(".messages li")).to_contain_text(["Payment received"])
    order = Order.objects.get()
    run_worker()  # the confirmation, out of the way
    mail_server.reset()

    page = sized(new_context().new_page(), viewport)

    def ask(email: str, number: int) -> str:
        page.goto(f"{shop_server.url}/")
        page.get_by_role("link", name="Find my order").click()
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Order number").fill(str(number))
        page.get_by_role("button", name="Email me the link").click()
        expect(page.locator(".messages li")).to_have_count(1)
        assert axe_violations(page) == []
        return page.locator("main").inner_text()

    wrong = ask(SHOPPER_EMAIL, order.number + 1)
    assert emailed(SHOPPER_EMAIL) is None and mail_server.received == []
    real = ask(SHOPPER_EMAIL, order.number)

    assert real == wrong  # the same page whether or not the order exists
    link = emailed(SHOPPER_EMAIL)
    assert len(mail_server.received) == 1
    assert OrderEmail.objects.filter(kind=OrderEmail.Kind.STATUS_LINK).count() == 1
    page.goto(link)
    expect(page.locator(".status")).to_have_text("Paid")


def test_the_basket_survives_cancel_and_a_declined_card_with_its_total(
    page, shop_server, stripe_sim
):
    page.goto(f"{shop_server.url}/")
    total = page.locator("output[data-basket-total]")
    expect(total).to_have_text("₹0.00")
    choose(page, {"T-Shirt": 2})
    expect(total).to_have_text("₹1,000.00")  # the running total, as quantities are typed
    check_out(page, {"T-Shirt": 2, "Cap": 1})

    page.get_by_role("button", name="Cancel").click()
    expect(quantity(page, "T-Shirt")).to_have_value("2")
    expect(quantity(page, "Cap")).to_have_value("1")
    expect(total).to_have_text("₹1,300.00")

    checkout_button(page).click()
    pay(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    page.get_by_role("button", name="Cancel").click()
    expect(quantity(page, "T-Shirt")).to_have_value("2")
    expect(quantity(page, "Cap")).to_have_value("1")

    checkout_button(page).click()
    pay(page)
    expect(page.locator(".messages li")).to_contain_text(["Payment received"])
    expect(quantity(page, "T-Shirt")).to_have_value("0")  # paid: the basket is empty
    expect(total).to_have_text("₹0.00")


def test_a_quantity_error_on_a_phone_moves_focus_to_the_summary_at_the_top(
    new_context, shop_server, stripe_sim
):
    page = sized(new_context().new_page(), PHONE)
    page.goto(f"{shop_server.url}/")
    cap = quantity(page, "Cap")
    cap.fill("11")
    checkout_button(page).click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(page).to_have_url(f"{shop_server.url}/#error-summary")
    box = summary.bounding_box()
    assert box["y"] < PHONE["height"]  # on screen, where the phone shows the page
    expect(cap).to_have_value("11")
    assert axe_violations(page) == []

    summary.get_by_role("link", name="You can buy at most 10 of Cap at once.").click()
    expect(cap).to_be_focused()
    page.reload()  # a refresh shows the shop, posting nothing again
    expect(page.get_by_text("There is a problem")).to_have_count(0)
    assert Order.objects.count() == 0
