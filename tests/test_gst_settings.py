"""The owner's GST details in Wagtail's site settings, and each product's HSN code and rate,
through the admin's own views: checked GSTINs, clear messages, nothing saved when wrong."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from wagtail.models import Site

from store.models import GSTSettings, Product
from tests.gst_support import SELLER_GSTIN
from tests.test_product_admin import product_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def settings_url(db) -> str:
    site = Site.objects.get(is_default_site=True)
    return f"/admin/settings/store/gstsettings/{site.pk}/"


def seller(**overrides) -> dict[str, str]:
    return {
        "legal_name": "Mini Store Private Limited",
        "address": "14 Residency Road\r\nBengaluru 560025",
        "state": "29",
        "gstin": SELLER_GSTIN,
        "invoice_prefix": "MS",
        "credit_note_prefix": "CN",
    } | overrides


def errors(response) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    return [" ".join(error.text.split()) for error in page.select(".error-message")]


def test_the_owner_registers_the_shop(admin_client, settings_url):
    page = admin_client.get(settings_url).content.decode()
    assert "Leave empty if the shop is not registered for GST" in page

    response = admin_client.post(settings_url, seller(gstin=" 29aagcb7383j1z4 "))

    assert response.status_code == 302
    saved = GSTSettings.objects.get()
    assert (saved.gstin, saved.state, saved.registered) == (SELLER_GSTIN, "29", True)
    assert saved.registered_since is not None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"gstin": "29AAGCB7383J1Z5"}, "the check digit is wrong"),
        ({"gstin": "29AAGCB7383"}, "A GSTIN has 15 characters; this one has 11."),
        ({"state": "27"}, "The GSTIN is registered in Karnataka (29)"),
        ({"legal_name": ""}, "A tax invoice must show this: fill it in with the GSTIN."),
        ({"invoice_prefix": "M S"}, "Use 1 to 5 capital letters, digits or hyphens"),
        ({"credit_note_prefix": "MS"}, "Use a prefix other than the invoices'."),
    ],
)
def test_wrong_details_are_refused_with_a_reason_and_nothing_saved(
    admin_client, settings_url, fields, message
):
    response = admin_client.post(settings_url, seller(**fields))

    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert not GSTSettings.objects.filter(gstin__gt="").exists()


def test_an_unregistered_shop_leaves_the_gstin_empty(admin_client, settings_url):
    response = admin_client.post(
        settings_url, seller(gstin="", legal_name="", address="", state="")
    )
    assert response.status_code == 302
    assert not GSTSettings.objects.get().registered


def test_editors_set_a_products_hsn_code_and_rate(admin_client, products):
    shoes = products[1]
    url = f"/admin/snippets/store/product/edit/{shoes.pk}/"
    form = product_form(shoes, name="Shoes", slug="shoes", price="1,200")
    form["action-publish"] = "publish"

    refused = admin_client.post(url, form | {"hsn_code": "64X4", "gst_rate": "18"})
    assert "An HSN code has 4, 6 or 8 digits." in " ".join(errors(refused))
    not_a_slab = admin_client.post(url, form | {"hsn_code": "6404", "gst_rate": "13"})
    assert errors(not_a_slab)

    assert (
        admin_client.post(url, form | {"hsn_code": "64041190", "gst_rate": "5"}).status_code == 302
    )
    shoes.refresh_from_db()
    assert (shoes.hsn_code, shoes.gst_rate) == ("64041190", 5)

    admin_client.post(url, form)  # a form without them keeps what the product had
    assert Product.objects.get(pk=shoes.pk).gst_rate == 5


def test_the_shop_says_prices_include_gst_once_registered(
    admin_client, client, settings_url, products, django_capture_on_commit_callbacks
):
    def prices_note() -> str | None:
        note = BeautifulSoup(client.get("/").content, "html.parser").select_one(".prices-note")
        return note.text if note else None

    assert prices_note() is None  # as today: the shared rendering is now cached
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(settings_url, seller())

    assert prices_note() == "All prices include GST."
