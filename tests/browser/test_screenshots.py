"""The README's screenshots, taken from the running shop: ``make screenshots``.

Runs only when ``STORE_SCREENSHOTS`` names the folder to write to (the make
target sets ``docs``, relative to the repository); ``make test`` skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from store.gst import documents, pdf
from store.models import Order, Product
from tests.browser.shop import check_out, expect_back_on_the_shop, my_orders, pay
from tests.conftest import behind_the_shops_back, give_sizes, set_stock
from tests.gst_support import paid_order, register_for_gst

REPOSITORY = Path(__file__).resolve().parents[2]
OUTPUT = os.environ.get("STORE_SCREENSHOTS", "")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not OUTPUT, reason="README screenshots: `make screenshots` (sets STORE_SCREENSHOTS=docs)"
    ),
]


def save(page: Page, name: str, *, full_page: bool = True) -> None:
    folder = REPOSITORY / OUTPUT
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=folder / name, full_page=full_page, animations="disabled", caret="hide", scale="css"
    )


def test_screenshots(page, shop_server, stripe_sim, django_user_model, products):
    set_stock("T-Shirt", 4)
    set_stock("Shoes", 0)
    behind_the_shops_back()
    page.goto(f"{shop_server.url}/")
    expect(page.locator("li.product")).to_have_count(3)
    expect(page.get_by_text("Sold out")).to_be_visible()
    save(page, "shop.png")

    check_out(page, {"T-Shirt": 2, "Cap": 1})
    save(page, "checkout.png")

    pay(page)
    expect_back_on_the_shop(page, shop_server.url)
    expect(my_orders(page)).to_have_count(1)
    my_orders(page).scroll_into_view_if_needed()
    save(page, "my-orders.png")
    stripe_sim.wait_for_deliveries(1)
    assert Order.objects.get().status == "paid"

    django_user_model.objects.create_superuser("editor", "editor@example.com", "screenshots")
    page.goto(f"{shop_server.url}/admin/snippets/store/product/edit/{products[0].pk}/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("screenshots")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("textbox", name="Price (INR)")).to_have_value("500.00")
    save(page, "product-editor.png", full_page=False)

    # The admin scrolls inside its own frame: a tall window shows the whole order.
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto(f"{shop_server.url}/admin/orders/inspect/{Order.objects.get().pk}/")
    expect(page.get_by_role("heading", name="Refund")).to_be_visible()
    save(page, "order-admin.png", full_page=False)


def test_invoice_screenshot(products, tmp_path):
    """The first page of a tax invoice's PDF, as pdftoppm (Debian's poppler-utils) draws it."""
    if not shutil.which("pdftoppm"):
        pytest.skip("needs pdftoppm (apt-get install poppler-utils)")
    issued = datetime(2026, 4, 2, 10, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    register_for_gst(since=issued)
    t_shirt, shoes, cap = products
    order = paid_order([(t_shirt, 2), (shoes, 1), (cap, 1)], state="KA", paid_at=issued)
    document = tmp_path / "invoice.pdf"
    document.write_bytes(pdf.render(documents.issue_invoice(order, now=issued)))
    folder = REPOSITORY / OUTPUT
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "96",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            document,
            folder / "invoice",
        ],
        check=True,
    )


def test_product_page_screenshot(page, shop_server, products):
    """The README's product page: a T-shirt in sizes, one sold out, one nearly."""
    shirt = Product.objects.get(name="T-Shirt")
    Product.objects.filter(pk=shirt.pk).update(
        body="<p>Soft combed cotton, cut straight. Machine wash cold.</p>"
    )
    give_sizes(shirt, {"S": 0, "M": 2, "L": 12, "XL": None})
    behind_the_shops_back()
    page.goto(f"{shop_server.url}/products/t-shirt/")
    expect(page.get_by_role("heading", name="T-Shirt", level=1)).to_be_visible()
    save(page, "product-page.png")
