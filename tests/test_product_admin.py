"""Editors manage products through Wagtail's own snippet views (logged-in test client)."""

import pytest
from bs4 import BeautifulSoup
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from store.models import Product

ADD_URL = "/admin/snippets/store/product/add/"
LIST_URL = "/admin/snippets/store/product/"


def edit_url(product: Product) -> str:
    return f"/admin/snippets/store/product/edit/{product.pk}/"


def product_form(product: Product | None = None, **overrides) -> dict:
    """The editor as posted: a product sold one way, with its one variant's (empty) row."""
    variant = product.variants.get() if product else None
    data = {
        "name": "Mug",
        "slug": "mug",
        "description": "Holds tea.",
        "price": "75.50",
        "image": "",
        **variant_rows([variant]),
    }
    data.update(overrides)
    return data


def variant_rows(variants: list, **per_row) -> dict:
    """The variants formset: one row per variant (None for a new one); ``per_row`` maps a
    field to a value per row, e.g. value_1=["M", "L"]."""
    data = {
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": str(sum(variant is not None for variant in variants)),
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for index, variant in enumerate(variants):
        on_hand = "" if variant is None or variant.stock is None else str(variant.stock)
        row = {
            "id": "" if variant is None else str(variant.pk),
            "ORDER": str(index + 1),
            "DELETE": "",
            "sku": "" if variant is None else variant.sku,
            "price": "",
            "stock": on_hand,
            "stock-as-shown": on_hand,
            "image": "",
        } | {name: values[index] for name, values in per_row.items()}
        data |= {f"variants-{index}-{name}": value for name, value in row.items()}
    return data


def shop_price_of(client, name: str) -> str:
    page = BeautifulSoup(client.get("/").content, "html.parser")
    for card in page.select(".product-card"):
        if card.select_one(".product-name").text == name:
            return card.select_one(".product-price").text
    raise AssertionError(f"{name} is not on the shop page")


def test_editor_creates_a_published_product_with_a_price_in_rupees(admin_client):
    response = admin_client.post(ADD_URL, product_form(**{"action-publish": "action-publish"}))
    assert response.status_code == 302
    mug = Product.objects.get(slug="mug")
    assert (mug.price, mug.live) == (7550, True)
    assert shop_price_of(admin_client, "Mug") == "₹75.50"


def test_the_edit_form_shows_the_stored_price_in_rupees(admin_client, products):
    html = admin_client.get(edit_url(products[1])).content.decode()
    field = BeautifulSoup(html, "html.parser").select_one("input[name=price]")
    assert field["value"] == "1,200.00"


def test_a_saved_draft_does_not_change_the_shop_until_published(
    admin_client, products, django_capture_on_commit_callbacks
):
    shirt = products[0]
    draft = product_form(shirt, name="T-Shirt", slug="t-shirt", price="650")
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(edit_url(shirt), draft).status_code == 302
    shirt.refresh_from_db()
    assert shirt.price == 50000 and shirt.has_unpublished_changes
    assert shop_price_of(admin_client, "T-Shirt") == "₹500.00"

    published = {**draft, "action-publish": "action-publish"}
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(edit_url(shirt), published).status_code == 302
    shirt.refresh_from_db()
    assert shirt.price == 65000
    assert shop_price_of(admin_client, "T-Shirt") == "₹650.00"


def test_a_new_product_saved_as_draft_stays_off_the_shop(admin_client):
    admin_client.post(ADD_URL, product_form())
    assert Product.objects.get(slug="mug").live is False
    with pytest.raises(AssertionError, match="not on the shop page"):
        shop_price_of(admin_client, "Mug")


@pytest.mark.parametrize(
    "price, message",
    [
        ("abc", "not a number"),
        ("5.0051", "at most 2 decimals"),
        ("1,5", "is ambiguous"),
        ("-1", "cannot be negative"),
        ("0.10", "less than ₹0.50"),
        ("10000000", "more than ₹99,99,999.99"),
        ("$5", "not in INR"),
        ("€5", "not in INR"),
        ("5 USD", "not in INR"),
        ("", "This field is required"),
    ],
)
def test_an_invalid_price_is_a_form_error_and_saves_nothing(admin_client, price, message):
    response = admin_client.post(
        ADD_URL, product_form(price=price, **{"action-publish": "action-publish"})
    )
    assert response.status_code == 200  # Wagtail re-renders the form with its errors
    errors = BeautifulSoup(response.content, "html.parser").select_one("#panel-child-price-errors")
    assert message in errors.text
    assert not Product.objects.filter(slug="mug").exists()


@pytest.mark.parametrize(
    "typed, stored, shown",
    [("125000", 12_500_000, "1,25,000.00"), ("1,25,000.50", 12_500_050, "1,25,000.50")],
)
def test_a_typed_price_round_trips_through_the_editor(admin_client, typed, stored, shown):
    admin_client.post(ADD_URL, product_form(price=typed, **{"action-publish": "action-publish"}))
    mug = Product.objects.get(slug="mug")
    assert mug.price == stored
    html = admin_client.get(edit_url(mug)).content.decode()
    assert BeautifulSoup(html, "html.parser").select_one("input[name=price]")["value"] == shown


def test_an_invalid_price_on_edit_keeps_the_published_price(admin_client, products):
    shirt = products[0]
    response = admin_client.post(
        edit_url(shirt),
        product_form(
            products[0], name="T-Shirt", slug="t-shirt", price="lots", **{"action-publish": "1"}
        ),
    )
    assert response.status_code == 200  # Wagtail re-renders the form with its errors
    shirt.refresh_from_db()
    assert shirt.price == 50000


def test_listing_shows_formatted_price_and_status_and_searches_by_name(admin_client, products):
    listing = admin_client.get(LIST_URL).content.decode()
    assert "₹1,200.00" in listing and "Live" in listing
    # Every row says when it last changed, seeded products included.
    assert listing.count("w-human-readable-date__date") == 3
    found = admin_client.get(LIST_URL, {"q": "Sho"}).content.decode()
    assert "Shoes" in found and "T-Shirt" not in found


def test_listing_filters_by_status(admin_client, products):
    Product.objects.filter(name="Cap").update(live=False)
    drafts = admin_client.get(LIST_URL, {"live": "false"}).content.decode()
    assert "Cap" in drafts and "Shoes" not in drafts


def test_an_uploaded_image_shows_on_the_shop(admin_client, products):
    image = Image.objects.create(title="Cap photo", file=get_test_image_file())
    form = product_form(products[2], name="Cap", slug="cap", price="300", image=str(image.pk))
    admin_client.post(edit_url(products[2]), {**form, "action-publish": "1"})
    page = BeautifulSoup(admin_client.get("/").content, "html.parser")
    assert page.select_one("img.product-image[alt=Cap]")


def test_preview_renders_the_product_card(admin_client, products):
    url = f"/admin/snippets/store/product/preview/{products[0].pk}/"
    data = product_form(products[0], name="T-Shirt Preview", slug="t-shirt", price="123")
    assert admin_client.post(url, data).json()["is_valid"]
    html = admin_client.get(url).content.decode()
    assert "T-Shirt Preview" in html and "₹123.00" in html


def test_editors_can_reorder_products(admin_client, products):
    cap = products[2]
    url = f"/admin/snippets/store/product/reorder/{cap.pk}/"
    response = admin_client.post(url + "?position=0")
    assert response.status_code == 200
    names = [
        n.text
        for n in BeautifulSoup(admin_client.get("/").content, "html.parser").select(".product-name")
    ]
    assert names[0] == "Cap"
