"""The shop page as a shopper sees it."""

import re

from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from home.models import HomePage
from store.models import Product
from tests.conftest import behind_the_shops_back, make_product


def shop(client):
    response = client.get("/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_every_published_product_has_its_price_and_a_labelled_quantity_input(client, products):
    page = shop(client)
    cards = page.select("li.product")
    assert [card.select_one(".product-name").text for card in cards] == ["T-Shirt", "Shoes", "Cap"]
    assert [card.select_one(".product-price").text for card in cards] == [
        "₹500.00",
        "₹1,200.00",
        "₹300.00",
    ]
    for card, product in zip(cards, products, strict=True):
        field = card.select_one("input[type=number]")
        label = page.select_one(f"label[for={field['id']}]")
        assert product.name in label.text
        assert (field["min"], field["max"], field["value"]) == ("0", "10", "0")
    assert page.find("button", string=re.compile("Checkout"))


def test_drafts_and_unpublished_products_are_hidden(client, db):
    make_product("Secret Hat", 99900, live=False)
    page = shop(client)
    assert "Secret Hat" not in page.text
    assert len(page.select("li.product")) == 3


def test_products_follow_the_editor_order(client, db):
    Product.objects.filter(name="Cap").update(sort_order=-1)
    names = [n.text for n in shop(client).select(".product-name")]
    assert names == ["Cap", "T-Shirt", "Shoes"]


def test_empty_state_when_nothing_is_published(client, db):
    Product.objects.update(live=False)
    page = shop(client)
    assert not page.select("li.product")
    assert "No products are on sale right now" in page.text
    assert not page.find("button", string=re.compile("Checkout"))


def test_my_orders_is_empty_for_a_new_browser(client, db):
    section = shop(client).select_one("section.my-orders")
    assert "Orders you pay for from this browser appear here" in section.text


def count_shop_queries(client) -> int:
    behind_the_shops_back()  # the products changed by UPDATEs: render the page again
    client.get("/")  # the first visit renders the page and makes any missing renditions
    client.get("/")  # the second this browser's My Orders
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_products(client, db):
    image = Image.objects.create(title="photo", file=get_test_image_file())
    Product.objects.update(image=image)
    with_three = count_shop_queries(client)
    for number in range(47):
        make_product(f"Extra {number}", 1000 + number, image=image, sort_order=10 + number)
    with_fifty = count_shop_queries(client)
    assert with_three == with_fifty


def test_editors_can_change_the_intro_and_preview_the_shop_page(admin_client, db):
    home = HomePage.objects.get()
    edit_url = f"/admin/pages/{home.pk}/edit/"
    assert admin_client.get(edit_url).status_code == 200
    form = {"title": "Mini Store", "slug": home.slug, "intro": '{"blocks": [], "entityMap": {}}'}
    intro = (
        '{"blocks": [{"key": "a", "type": "unstyled", "depth": 0, "text": "Summer sale!",'
        ' "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}'
    )
    preview = admin_client.post(f"/admin/pages/{home.pk}/edit/preview/", {**form, "intro": intro})
    assert preview.json()["is_valid"]
    assert (
        "Summer sale!" in admin_client.get(f"/admin/pages/{home.pk}/edit/preview/").content.decode()
    )

    admin_client.post(edit_url, {**form, "intro": intro, "action-publish": "1"})
    assert "Summer sale!" in shop(admin_client).text
