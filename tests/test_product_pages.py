"""A page per product, /products/<slug>/: what a shared link previews (OpenGraph, Twitter),
what search engines read (JSON-LD, canonical URL, sitemap.xml), choosing a size, and the same
checkout as the shop page."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from store.models import Order, Product, ProductVariant
from tests.conftest import give_sizes
from tests.test_product_admin import ADD_URL, edit_url, product_form, variant_rows

SHIRT_URL = "/products/t-shirt/"


@pytest.fixture
def sizes(products) -> dict[str, ProductVariant]:
    """The T-Shirt with a photo, in S (not counted), M (5 left) and L (sold out, ₹550)."""
    shirt = Product.objects.get(name="T-Shirt")
    image = Image.objects.create(title="T-Shirt photo", file=get_test_image_file())
    Product.objects.filter(pk=shirt.pk).update(image=image)
    give_sizes(shirt, {"S": None, "M": 5, "L": 0}, L=55000)
    return {variant.value_1: variant for variant in shirt.variants.all()}


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def meta(page: BeautifulSoup, key: str) -> str:
    tag = page.select_one(f'meta[property="{key}"], meta[name="{key}"]')
    assert tag is not None, f"no {key}"
    return tag["content"]


def test_a_shared_link_previews_the_product(client, sizes):
    Product.objects.filter(name="T-Shirt").update(body="<p>Soft <b>cotton</b>.</p>")
    page = page_of(client.get(SHIRT_URL))
    assert page.select_one(".product-body").decode_contents() == "<p>Soft <b>cotton</b>.</p>"
    photo = page.select_one("img.product-photo")
    assert photo["loading"] == "lazy" and len(photo["srcset"].split(",")) >= 2
    shirt = Product.objects.get(name="T-Shirt")

    assert page.select_one("link[rel=canonical]")["href"] == "http://localhost/products/t-shirt/"
    assert meta(page, "og:type") == "product"
    assert meta(page, "og:title") == "T-Shirt" == meta(page, "twitter:title")
    assert meta(page, "og:description") == shirt.description == meta(page, "twitter:description")
    assert meta(page, "og:url") == "http://localhost/products/t-shirt/"
    assert (meta(page, "product:price:amount"), meta(page, "product:price:currency")) == (
        "500.00",
        "INR",
    )
    assert meta(page, "twitter:data1") == "₹500.00"
    image = meta(page, "og:image")
    assert image.startswith("http://localhost/") and meta(page, "twitter:image") == image
    assert meta(page, "twitter:card") == "summary_large_image"


def test_search_engines_read_the_product_its_sizes_and_what_is_in_stock(client, sizes):
    page = page_of(client.get(SHIRT_URL))
    data = json.loads(page.select_one('script[type="application/ld+json"]').string)

    assert (data["@context"], data["@type"], data["name"]) == (
        "https://schema.org",
        "Product",
        "T-Shirt",
    )
    assert data["url"] == "http://localhost/products/t-shirt/"
    assert data["image"] == [meta(page, "og:image")]
    offers = [
        (offer["name"], offer["sku"], offer["price"], offer["priceCurrency"], offer["availability"])
        for offer in data["offers"]
    ]
    assert offers == [
        ("S", "T-SHIRT-S", "500.00", "INR", "https://schema.org/InStock"),
        ("M", "T-SHIRT-M", "500.00", "INR", "https://schema.org/InStock"),
        ("L", "T-SHIRT-L", "550.00", "INR", "https://schema.org/OutOfStock"),
    ]


def test_text_cannot_break_out_of_the_structured_data(client, products):
    Product.objects.filter(name="Cap").update(description="</script><script>alert(1)</script>")
    page = page_of(client.get("/products/cap/"))
    script = page.select_one('script[type="application/ld+json"]')
    assert json.loads(script.string)["description"] == "</script><script>alert(1)</script>"
    assert [tag for tag in page.select("script") if not tag.get("src")] == [script]


def test_the_size_is_a_select_with_sold_out_sizes_shown_but_disabled(client, sizes):
    page = page_of(client.get(SHIRT_URL))
    select = page.select_one("form.product-form select")
    assert page.select_one(f"label[for={select['id']}]").text == "Size"
    options = [(option.text, option.has_attr("disabled")) for option in select.select("option")]
    assert options == [("S", False), ("M (only 5 left)", False), ("L (sold out)", True)]
    assert (
        page.select_one(f"label[for={page.select_one('input[name=quantity]')['id']}]").text
        == "Quantity"
    )


def test_buying_a_size_from_its_page_is_the_shops_checkout(client, sizes, stripe_sim):
    client.get(SHIRT_URL)
    form = {"form_token": str(uuid.uuid4()), "variant": str(sizes["M"].pk), "quantity": "2"}
    response = client.post(SHIRT_URL, form)

    assert response.status_code == 303
    order = Order.objects.get()
    assert response["Location"] == order.checkout_url
    assert [str(line) for line in order.lines.all()] == ["2 × T-Shirt — M"]
    assert order.amount_total == 100000
    create = next(r for r in stripe_sim.requests if r.method == "POST")
    assert create.params["line_items"][0]["price_data"]["product_data"]["name"] == "T-Shirt — M"


@pytest.mark.parametrize(
    "size, quantity, status, said",
    [
        ("L", "1", 400, "Sorry, T-Shirt — L is sold out."),
        ("M", "6", 400, "Only 5 T-Shirt — M left: choose at most 5."),
        ("M", "0", 400, "Ensure this value is greater than or equal to 1."),
        ("nope", "1", 400, "That choice is no longer sold. Please choose again."),
    ],
)
def test_a_choice_that_cannot_be_bought_says_why_and_orders_nothing(
    client, sizes, stripe_sim, size, quantity, status, said
):
    variant = str(sizes[size].pk) if size in sizes else size
    response = client.post(SHIRT_URL, {"variant": variant, "quantity": quantity})
    assert response.status_code == status
    page = BeautifulSoup(response.content, "html.parser")
    assert said in " ".join(node.text for node in page.select(".error-summary li, .field-error"))
    assert Order.objects.count() == 0 and stripe_sim.requests == []


def test_a_product_without_options_is_bought_by_quantity_alone(client, products, stripe_sim):
    page = page_of(client.get("/products/cap/"))
    assert page.select_one("form.product-form select") is None
    response = client.post("/products/cap/", {"quantity": "3"})
    assert response.status_code == 303
    assert [str(line) for line in Order.objects.get().lines.all()] == ["3 × Cap"]


def test_the_shop_links_to_each_product_page(client, products):
    page = BeautifulSoup(client.get("/").content, "html.parser")
    links = [link["href"] for link in page.select(".product-name a")]
    assert links == ["/products/t-shirt/", "/products/shoes/", "/products/cap/"]


def test_the_sitemap_lists_the_shop_and_published_products(client, products):
    Product.objects.filter(name="Cap").update(live=False)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [
        loc.text for loc in ET.fromstring(response.content).findall("s:url/s:loc", namespace)
    ]
    assert locations == [
        "http://localhost/",
        "http://localhost/products/t-shirt/",
        "http://localhost/products/shoes/",
    ]


def test_an_unpublished_product_is_not_found_but_editors_preview_it(
    admin_client, products, django_capture_on_commit_callbacks
):
    cap = products[2]
    page_of(Client().get("/products/cap/"))  # kept while published
    with django_capture_on_commit_callbacks(execute=True):
        cap.unpublish()
    assert Client().get("/products/cap/").status_code == 404
    assert Client().post("/products/cap/", {"quantity": "1"}).status_code == 404
    assert Client().get("/products/no-such-thing/").status_code == 404

    url = f"/admin/snippets/store/product/preview/{cap.pk}/"
    data = product_form(cap, name="Cap", slug="cap", price="310")
    assert admin_client.post(url, data).json()["is_valid"]
    preview = page_of(admin_client.get(url))
    assert preview.select_one("h1").text == "Cap"
    assert preview.select_one(".product-price").text == "₹310.00"
    assert (
        json.loads(preview.select_one('script[type="application/ld+json"]').string)["name"] == "Cap"
    )


def test_a_draft_never_published_is_not_found(admin_client):
    admin_client.post(ADD_URL, product_form(name="Mug", slug=""))
    mug = Product.objects.get(name="Mug")
    assert (mug.slug, mug.live) == ("mug", False)
    assert Client().get("/products/mug/").status_code == 404


def test_the_slug_is_made_from_the_name_and_kept_unique(admin_client, products):
    form = product_form(name="T-Shirt", slug="", **{"action-publish": "1"})
    assert admin_client.post(ADD_URL, form).status_code == 302
    assert sorted(Product.objects.filter(name="T-Shirt").values_list("slug", flat=True)) == [
        "t-shirt",
        "t-shirt-2",
    ]
    assert page_of(Client().get("/products/t-shirt-2/")).select_one("h1").text == "T-Shirt"


def test_the_page_is_kept_and_changes_as_soon_as_stock_does(
    client,
    sizes,
    stripe_sim,
    settings,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    # Each worker re-reads the version every second; here, only when this worker renews it.
    settings.STORE_PAGE_VERSION_CHECK_SECONDS = 60
    Client().get(SHIRT_URL)
    with django_assert_num_queries(0):
        kept = page_of(Client().get(SHIRT_URL))
    assert "M (only 5 left)" in kept.select_one("select").text

    with django_capture_on_commit_callbacks(execute=True):
        client.post(SHIRT_URL, {"variant": str(sizes["M"].pk), "quantity": "2"})

    assert "M (only 3 left)" in page_of(Client().get(SHIRT_URL)).select_one("select").text
    # Each visitor gets their own CSRF token, never another's.
    first, second = (page_of(Client().get(SHIRT_URL)) for _ in range(2))
    token = "input[name=csrfmiddlewaretoken]"
    assert first.select_one(token)["value"] != second.select_one(token)["value"]


# --- The editor --------------------------------------------------------------------------


def test_an_editor_adds_sizes_each_with_its_stock(admin_client, products):
    form = product_form(
        name="Kurta",
        slug="",
        option_1="Size",
        **variant_rows([None, None], value_1=["M", "L"], stock=["3", ""], price=["", "899"]),
        **{"action-publish": "1"},
    )
    assert admin_client.post(ADD_URL, form).status_code == 302
    kurta = Product.objects.get(name="Kurta")
    assert [(v.name, v.stock, v.unit_price) for v in kurta.variants.all()] == [
        ("M", 3, 7550),
        ("L", None, 89900),
    ]
    shop = BeautifulSoup(Client().get("/").content, "html.parser")
    labels = [label.text for label in shop.select("fieldset.variant-quantities label")]
    assert labels == ["Quantity of Kurta — M", "Quantity of Kurta — L"]


@pytest.mark.parametrize(
    "options, rows, said",
    [
        ({"option_1": "Size"}, {"value_1": ["M", "M"]}, "Two variants are both M."),
        ({"option_1": "Size"}, {"value_1": ["M", ""]}, "Every variant needs a value for Size."),
        ({}, {"value_1": ["", ""]}, "A product without options has one variant"),
        ({}, {"value_1": ["M", ""]}, "a value for an option the product lacks"),
        ({"option_2": "Colour"}, {"value_1": ["", ""]}, "Name the options from the first"),
    ],
)
def test_variants_that_do_not_add_up_are_refused(admin_client, products, options, rows, said):
    form = product_form(name="Kurta", slug="", **options, **variant_rows([None, None], **rows))
    response = admin_client.post(ADD_URL, form)
    assert response.status_code == 200
    assert said in BeautifulSoup(response.content, "html.parser").text
    assert not Product.objects.filter(name="Kurta").exists()


def test_a_new_size_in_a_draft_reaches_the_shop_only_when_published(admin_client, sizes):
    shirt = Product.objects.get(name="T-Shirt")
    variants = list(shirt.variants.all())
    rows = variant_rows([*variants, None], value_1=["S", "M", "L", "XL"])
    draft = product_form(name="T-Shirt", slug="t-shirt", price="500", option_1="Size") | rows
    assert admin_client.post(edit_url(shirt), draft).status_code == 302
    assert ProductVariant.objects.filter(product=shirt).count() == 3
    assert "XL" not in Client().get(SHIRT_URL).content.decode()

    assert admin_client.post(edit_url(shirt), {**draft, "action-publish": "1"}).status_code == 302
    assert [v.name for v in shirt.variants.all()] == ["S", "M", "L", "XL"]
    # Publishing kept the counts of the sizes that were there.
    assert dict(shirt.variants.values_list("value_1", "stock")) == {
        "S": None,
        "M": 5,
        "L": 0,
        "XL": None,
    }
