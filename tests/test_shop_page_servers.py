"""Two shop servers (gunicorn, two workers each) sharing a database and a cache: a published
change shows on both within 2 seconds, a draft on neither, and a lost cache never brings an
old page back. Run with the embedded caches and with Redis."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urljoin

import pytest
import requests
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.cache import caches
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from store.models import Product
from tests.servers import gunicorn_shop

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WITHIN = 2.0  # seconds
EDITOR, PASSWORD = "editor", "a known password"


def shop(base_url: str) -> BeautifulSoup:
    # A new connection each time, so the requests spread over the server's workers.
    response = requests.get(f"{base_url}/", headers={"Connection": "close"}, timeout=10)
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def cards(base_url: str) -> list[tuple[str, str]]:
    return [
        (card.select_one(".product-name").text, card.select_one(".product-price").text)
        for card in shop(base_url).select(".product-card")
    ]


def seconds_until(condition: Callable[[], bool], timeout: float = 10) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "the change never showed"
        time.sleep(0.05)
    return time.monotonic() - started


class Editor:
    """A browser signed in to one server's Wagtail admin, submitting forms as rendered."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        login = self.form("/admin/login/") | {"username": EDITOR, "password": PASSWORD}
        self.post("/admin/login/", login)

    def form(self, path: str) -> dict[str, str]:
        """The fields of the page's form that posts back to it, as a browser would send them."""
        page = BeautifulSoup(self.http.get(urljoin(self.base_url, path)).text, "html.parser")
        form = page.select_one(f"form[action='{path}']")
        fields = {
            field["name"]: field.get("value", "")
            for field in form.select("input[name]")
            if field.get("type") not in ("checkbox", "submit")
        }
        fields |= {area["name"]: area.text for area in form.select("textarea[name]")}
        for select in form.select("select[name]"):
            chosen = select.select_one("option[selected]")
            fields[select["name"]] = chosen["value"] if chosen else ""
        return fields

    def post(self, path: str, data: dict) -> requests.Response:
        url = urljoin(self.base_url, path)
        response = self.http.post(url, data=data, headers={"Referer": url}, timeout=30)
        assert response.status_code == 200, (path, response.status_code)  # after the redirect
        return response

    def edit_product(self, product: Product, *, publish: bool, **fields: str) -> None:
        path = f"/admin/snippets/store/product/edit/{product.pk}/"
        data = self.form(path) | fields
        if publish:
            data["action-publish"] = "action-publish"
        self.post(path, data)


@pytest.fixture
def servers(products, stripe_sim, shared_cache, django_user_model):
    django_user_model.objects.create_superuser(EDITOR, "editor@example.com", PASSWORD)
    environment = {"STRIPE_API_BASE": stripe_sim.api_base, **shared_cache}
    with gunicorn_shop(workers=2, env=environment) as first:
        with gunicorn_shop(workers=2, env=environment) as second:
            for _ in range(4):  # every worker has the page rendered and kept
                cards(first), cards(second)
            yield first, second


def test_published_changes_show_everywhere_within_two_seconds(servers, products):
    first, second = servers
    shirt, shoes, cap = products
    editor = Editor(first)

    editor.edit_product(shirt, publish=True, price="650")
    waited = [
        seconds_until(lambda url=url: ("T-Shirt", "₹650.00") in cards(url))
        for url in (first, second)
    ]
    assert max(waited) < WITHIN, waited

    editor.edit_product(shoes, publish=True, name="Running Shoes")
    assert seconds_until(lambda: ("Running Shoes", "₹1,200.00") in cards(second)) < WITHIN

    Product.objects.get(pk=cap.pk).unpublish()  # in another process: the shared cache tells
    assert seconds_until(lambda: "Cap" not in dict(cards(second))) < WITHIN

    Product.objects.filter(pk=shoes.pk).update(sort_order=-1)
    Product.objects.get(pk=shoes.pk).save()  # a reorder saves the row
    assert seconds_until(lambda: cards(first)[0][0] == "Running Shoes") < WITHIN

    image = Image.objects.create(title="Shirt photo", file=get_test_image_file())
    editor.edit_product(Product.objects.get(pk=shirt.pk), publish=True, image=str(image.pk))
    assert seconds_until(lambda: bool(shop(second).select("img.product-image"))) < WITHIN


def shown_prices(urls: tuple[str, ...], name: str) -> set[str]:
    return {dict(cards(url))[name] for url in urls}


def test_a_change_made_in_another_process_shows_everywhere_and_stays(servers, products):
    """The version lives in the database: a change made in this process (not a server) reaches
    every server's workers. With every cache key deleted first, the version still moves on
    to one never used before, so no rendering kept anywhere can pass for the new page."""
    shirt = Product.objects.get(pk=products[0].pk)
    shirt.price = 51000
    shirt.save()
    assert seconds_until(lambda: shown_prices(servers, "T-Shirt") == {"₹510.00"}) < WITHIN

    for alias in caches:  # eviction, a flush, a restarted Redis: every key is gone
        caches[alias].clear()
    shirt.price = 52000
    shirt.save()
    changed = time.monotonic()

    assert seconds_until(lambda: "₹520.00" in shown_prices(servers, "T-Shirt")) < WITHIN
    # Every worker has had its chance to see the new version: from now on, only the new price.
    time.sleep(max(changed + WITHIN - time.monotonic(), 0))
    for _ in range(40):
        assert shown_prices(servers, "T-Shirt") == {"₹520.00"}


def test_a_saved_draft_shows_nowhere(servers, products):
    first, second = servers
    Editor(first).edit_product(products[0], publish=False, price="999")

    deadline = time.monotonic() + WITHIN + 0.5
    while time.monotonic() < deadline:
        for url in (first, second):
            assert ("T-Shirt", "₹500.00") in cards(url)
        time.sleep(0.1)
    assert get_user_model().objects.filter(username=EDITOR).exists()
