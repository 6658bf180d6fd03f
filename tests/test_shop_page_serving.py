"""The shop page goes through Wagtail's serving; only its rendering is shared (home.shop_page).

View restrictions, signed-in editors and previews never meet the shared rendering, the
rendering carries nothing of the visitor it was made for, and the Host header cannot
multiply it.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.test import Client
from wagtail.models import PageViewRestriction

from home.models import HomePage
from tests.test_product_admin import product_form

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "only for friends"
SHOP_TEMPLATE = "home/home_page.html"


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def product_names(response) -> list[str]:
    return [name.text for name in soup(response).select(".product-name")]


def rendered_the_page(response) -> bool:
    """Whether this response rendered the shop's template (rather than reusing a rendering)."""
    return SHOP_TEMPLATE in [template.name for template in response.templates]


def restrict_with_password() -> PageViewRestriction:
    return PageViewRestriction.objects.create(
        page=HomePage.objects.get(),
        restriction_type=PageViewRestriction.PASSWORD,
        password=PASSWORD,
    )


def test_a_password_restricted_shop_shows_no_product_to_an_anonymous_visitor(products):
    assert product_names(Client().get("/")) == ["T-Shirt", "Shoes", "Cap"]  # rendered, shared
    restriction = restrict_with_password()

    for _ in range(40):
        assert product_names(Client().get("/")) == []

    friend = Client()
    form = soup(friend.get("/")).select_one("form")
    friend.post(form["action"], {"password": PASSWORD, "return_url": "/"})
    assert product_names(friend.get("/")) == ["T-Shirt", "Shoes", "Cap"]
    # The friend's page was theirs alone: everyone else still meets the password form.
    stranger = Client().get("/")
    assert product_names(stranger) == []
    assert soup(stranger).select_one("input[name=password]")

    restriction.delete()
    assert product_names(Client().get("/")) == ["T-Shirt", "Shoes", "Cap"]


def test_a_login_restricted_shop_sends_anonymous_visitors_to_sign_in(products):
    Client().get("/")
    PageViewRestriction.objects.create(
        page=HomePage.objects.get(), restriction_type=PageViewRestriction.LOGIN
    )

    response = Client().get("/")

    assert response.status_code == 302 and "login" in response["Location"]


@pytest.fixture
def personal_template(tmp_path, settings):
    """The shop template plus what a careless template might add: the editor's userbar, the
    user's name and a cookie of the request it was rendered for."""
    (tmp_path / "home").mkdir()
    (tmp_path / SHOP_TEMPLATE).write_text(
        '{% extends "home/home_page.html" %}{% load wagtailuserbar %}'
        "{% block content %}{% wagtailuserbar %}"
        '<p class="signed-in-as">{{ request.user.get_username }}</p>'
        '<p class="cookie">{{ request.COOKIES.visitor_note }}</p>'
        "{{ block.super }}{% endblock %}"
    )
    templates = [dict(django_settings.TEMPLATES[0])]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates


def test_a_staff_member_rendering_first_leaks_nothing(personal_template, admin_client, products):
    staff_page = soup(admin_client.get("/"))
    assert staff_page.select_one(".signed-in-as").text == "editor"
    assert staff_page.select_one("wagtail-userbar") is not None

    visitor = Client()
    visitor.cookies["visitor_note"] = "first visitor's secret"
    first, second = soup(visitor.get("/")), soup(Client().get("/"))

    for page in (first, second):
        assert page.select_one(".signed-in-as").text == ""
        assert page.select_one("wagtail-userbar") is None
        assert "editor" not in page.text
        # Rendered from a request without the visitor's cookies, so it holds none of them.
        assert page.select_one(".cookie").text == ""
    # And the editor never gets the shoppers' rendering.
    assert soup(admin_client.get("/")).select_one(".signed-in-as").text == "editor"


def test_hosts_share_one_rendering_per_wagtail_site(products):
    hosts = [("127.0.0.1", port) for port in range(1, 101)] + [("LOCALHOST", 80), ("localhost", 8)]

    renderings = [
        rendered_the_page(Client().get("/", HTTP_HOST=f"{name}:{port}", SERVER_PORT=str(port)))
        for name, port in hosts
    ]

    assert sum(renderings) == 1


def test_the_shop_page_preview_shows_the_draft_and_leaves_the_shop_alone(admin_client, products):
    Client().get("/")  # the shared rendering exists
    home = HomePage.objects.get()
    form = {"title": "Mini Store", "slug": home.slug}
    intro = (
        '{"blocks": [{"key": "a", "type": "unstyled", "depth": 0, "text": "Summer sale!",'
        ' "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}'
    )
    url = f"/admin/pages/{home.pk}/edit/preview/"
    assert admin_client.post(url, {**form, "intro": intro}).json()["is_valid"]

    preview = admin_client.get(url)

    assert "Summer sale!" in soup(preview).text
    assert frame_ancestors(preview) == ["'self'"]  # Wagtail's preview panel frames it
    shop = Client().get("/")
    assert "Summer sale!" not in soup(shop).text
    assert frame_ancestors(shop) == ["'none'"]


def test_a_product_preview_shows_the_draft_price_after_shoppers_visited(admin_client, products):
    Client().get("/")  # the shared rendering exists
    url = f"/admin/snippets/store/product/preview/{products[0].pk}/"
    data = product_form(name="T-Shirt", slug="t-shirt", price="777")
    assert admin_client.post(url, data).json()["is_valid"]

    preview = admin_client.get(url)

    assert soup(preview).select_one("h1").text == "T-Shirt"  # the product page, as it will be
    assert soup(preview).select_one(".product-price").text == "₹777.00"
    assert frame_ancestors(preview) == ["'self'"]
    shop = soup(Client().get("/"))
    assert [price.text for price in shop.select(".product-price")][0] == "₹500.00"


def frame_ancestors(response) -> list[str]:
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        if name == "frame-ancestors":
            return values
    raise AssertionError("no frame-ancestors directive")
