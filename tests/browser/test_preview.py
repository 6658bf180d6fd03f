"""Wagtail's preview panel in a real browser: a draft price shows in its frame, the shop stays live.

The frame is the admin's own origin framing a preview response; any
Content-Security-Policy refusal (``frame-ancestors``) fails the test (tests/browser/conftest.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.admin import sign_in
from tests.browser.shop import price_on_the_shop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EDITOR, PASSWORD = "editor", "a known password, typed into the real form"


@pytest.fixture
def editor_page(page: Page, shop_server, django_user_model) -> Page:
    django_user_model.objects.create_superuser(EDITOR, "editor@example.com", PASSWORD)
    sign_in(page, shop_server.url, EDITOR, PASSWORD)
    return page


def open_the_preview_panel(admin: Page):
    admin.get_by_role("button", name="Toggle preview").click()
    return admin.frame_locator("#w-preview-iframe")


def test_the_preview_panel_shows_a_draft_price(editor_page, new_context, shop_server, products):
    admin, shopper = editor_page, new_context().new_page()
    shopper.goto(f"{shop_server.url}/")  # shoppers have seen the shop: its rendering is shared
    admin.goto(f"{shop_server.url}/admin/snippets/store/product/edit/{products[0].pk}/")

    admin.get_by_role("textbox", name="Price (INR)").fill("777")
    preview = open_the_preview_panel(admin)

    expect(preview.locator(".product-price")).to_have_text("₹777.00")
    shopper.reload()
    expect(price_on_the_shop(shopper, "T-Shirt")).to_have_text("₹500.00")
