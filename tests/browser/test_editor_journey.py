"""An editor in a real browser: Wagtail's login, the product snippet, and the shop it changes."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image as PillowImage
from playwright.sync_api import Locator, Page, expect

from store.models import Product
from tests.browser.shop import price_on_the_shop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EDITOR, PASSWORD = "editor", "a known password, typed into the real form"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser(EDITOR, "editor@example.com", PASSWORD)


def test_an_editor_prices_reorders_and_illustrates_products(
    page, new_context, shop_server, editor, products
):
    admin = page
    shopper = new_context().new_page()
    shop_url = f"{shop_server.url}/"

    sign_in(admin, shop_server.url)
    open_product(admin, "T-Shirt")

    # A draft leaves the shop alone...
    admin.get_by_role("textbox", name="Price (INR)").fill("650")
    admin.get_by_role("button", name="Save draft").click()
    expect(admin.get_by_text("'T-Shirt' updated.")).to_be_visible()
    shopper.goto(shop_url)
    expect(price_on_the_shop(shopper, "T-Shirt")).to_have_text("₹500.00")

    # ...publishing changes it.
    publish(admin)
    expect(admin.get_by_text("'T-Shirt' updated and published.")).to_be_visible()
    shopper.reload()
    expect(price_on_the_shop(shopper, "T-Shirt")).to_have_text("₹650.00")
    assert Product.objects.get(name="T-Shirt").price == 65000

    # Reorder with the listing's drag handles, by keyboard: Cap moves to the top.
    main_menu_link(admin, "Products").click()
    admin.get_by_role("button", name="Actions", exact=True).click()
    admin.get_by_role("link", name="Sort item order").click()
    cap_handle = admin.locator("tr", has_text="Cap").get_by_role("button", name="Drag")
    cap_handle.focus()
    admin.keyboard.press("ArrowUp")
    admin.keyboard.press("ArrowUp")
    admin.keyboard.press("Enter")
    expect(admin.get_by_text("'Cap' has been moved successfully.")).to_be_visible()
    shopper.reload()
    expect(shopper.locator(".product-name")).to_have_text(["Cap", "T-Shirt", "Shoes"])

    # Upload a photo through the image chooser and publish it.
    open_product(admin, "Cap")
    admin.locator("#id_image-chooser").get_by_role("button", name="Choose an image").click()
    chooser = admin.get_by_role("dialog")
    chooser.get_by_role("tab", name="Upload").click()
    chooser.get_by_label("File").set_input_files(
        {"name": "red-cap.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    expect(chooser.get_by_label("Title")).to_have_value("red-cap")
    chooser.get_by_role("button", name="Upload").click()
    expect(chooser).to_be_hidden()
    publish(admin)
    expect(admin.get_by_text("'Cap' updated and published.")).to_be_visible()

    shopper.reload()
    photo = shopper.get_by_role("img", name="Cap")
    expect(photo).to_be_visible()
    expect(photo).to_have_attribute(
        "src", re.compile(r"^/media/images/red-cap\.\w+\.fill-480x360\.png$")
    )
    # The image loads lazily: wait for it to arrive rather than look once.
    shopper.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/")
    expect(page).to_have_url(f"{base_url}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(EDITOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/admin/")
    expect(main_menu_link(page, "Products")).to_be_visible()


def main_menu_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name)


def open_product(page: Page, name: str) -> None:
    main_menu_link(page, "Products").click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def publish(page: Page) -> None:
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()


def png_bytes() -> bytes:
    """A 640×480 photo stand-in: a red square on white."""
    picture = PillowImage.new("RGB", (640, 480), "white")
    picture.paste((200, 30, 30), (160, 80, 480, 400))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
