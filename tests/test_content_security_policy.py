"""Content-Security-Policy: strict on the shop, what Wagtail needs in the admin.

The browser tests fail on any violation the browser reports; these pin the
policies themselves.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize("url", ["/", "/checkout/success/?session_id=nonsense", "/no-such-page/"])
def test_shop_pages_allow_no_inline_script_and_no_framing(client, products, url):
    policy = directives(client.get(url))

    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]


def test_the_shop_page_needs_nothing_its_policy_forbids(client, products):
    page = BeautifulSoup(client.get("/").content, "html.parser")

    assert [script for script in page.find_all("script") if not script.get("src")] == []
    assert page.find_all("style") == [] and page.select("[style]") == []
    assert page.select("[onclick], [onsubmit], [onload]") == []


def test_the_checkout_form_may_continue_to_stripe(client, products, settings):
    settings.STRIPE_API_BASE = ""
    assert directives(client.get("/"))["form-action"] == ["'self'", "https://checkout.stripe.com"]


def test_with_the_simulator_the_form_may_continue_to_it(client, products, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    assert directives(client.get("/"))["form-action"] == ["'self'", "http://127.0.0.1:12111"]


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/login/", "/admin/snippets/store/product/", "/admin/orders/"]
)
def test_the_admin_gets_wagtails_needs_and_nothing_more(admin_client, products, url):
    policy = directives(admin_client.get(url))

    # Wagtail's choosers start from inline scripts and its rich text editor sets inline
    # styles; nothing else is loosened.
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["frame-ancestors"] == ["'self'"]  # the live preview frames the admin
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
