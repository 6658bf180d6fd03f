"""A shopper's browser over real HTTP: cookies, the shop form, Stripe's hosted page.

Redirects are followed by hand so tests can assert every hop (303 to Stripe,
303 back to the shop).
"""

from __future__ import annotations

from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from tests.simulator_support import rendered_form

SUCCESS_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


class Shopper:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def get(self, url: str) -> requests.Response:
        return self.http.get(urljoin(self.base_url, url), allow_redirects=False, timeout=10)

    def shop(self) -> BeautifulSoup:
        response = self.get("/")
        assert response.status_code == 200, response.status_code
        return BeautifulSoup(response.text, "html.parser")

    def checkout_form(self) -> dict[str, str]:
        """The form as rendered: hidden fields and each quantity keyed by product name."""
        form = self.shop().select_one("form.checkout-form")
        fields = {field["name"]: field.get("value", "") for field in form.select("input")}
        self.quantity_fields = {
            form.select_one(f"label[for={field['id']}]").text.removeprefix("Quantity of "): field[
                "name"
            ]
            for field in form.select("input[type=number]")
        }
        return fields

    def submit(self, form: dict[str, str], **quantities: int) -> requests.Response:
        data = dict(form)
        for name, quantity in quantities.items():
            data[self.quantity_fields[name.replace("_", "-")]] = str(quantity)
        return self.http.post(
            urljoin(self.base_url, "/checkout/"), data=data, allow_redirects=False, timeout=30
        )

    def checkout(self, **quantities: int) -> requests.Response:
        """Open the shop, type quantities (T_Shirt=2 for "T-Shirt"), press Checkout."""
        return self.submit(self.checkout_form(), **quantities)

    def pay(self, checkout_url: str, card: str = SUCCESS_CARD) -> requests.Response:
        """Submit Stripe's page as a browser does: its prefilled fields, this card, Pay."""
        return self._submit_payment(checkout_url, card=card, action="pay")

    def pay_by_bank_debit(self, checkout_url: str, account: str) -> requests.Response:
        """The page's delayed method: the checkout completes now, the money settles later."""
        return self._submit_payment(checkout_url, account=account, action="pay_by_bank_debit")

    def _submit_payment(self, checkout_url: str, **fields: str) -> requests.Response:
        form = self.payment_form(checkout_url)
        return self.http.post(
            checkout_url, data={**form, **fields}, allow_redirects=False, timeout=10
        )

    def payment_form(self, checkout_url: str) -> dict[str, str]:
        """The fields of Stripe's page as rendered (none once the session is closed)."""
        return rendered_form(self.get(checkout_url).text)

    def cancel_on_stripe(self, checkout_url: str) -> requests.Response:
        return self.http.post(checkout_url, data={"action": "cancel"}, allow_redirects=False)

    def follow_to_shop(self, response: requests.Response) -> BeautifulSoup:
        """Follow a 303 back into the shop and land on the page it points to."""
        assert response.status_code == 303, (response.status_code, response.text[:500])
        landing = self.get(response.headers["Location"])
        while landing.status_code in (302, 303):
            landing = self.get(landing.headers["Location"])
        assert landing.status_code == 200
        return BeautifulSoup(landing.text, "html.parser")

    def buy(self, card: str = SUCCESS_CARD, **quantities: int) -> BeautifulSoup:
        """The whole happy path; returns the shop page the shopper lands on."""
        to_stripe = self.checkout(**quantities)
        assert to_stripe.status_code == 303, to_stripe.text[:500]
        return self.follow_to_shop(self.pay(to_stripe.headers["Location"], card))


def my_orders(page: BeautifulSoup) -> list[dict]:
    return [
        {
            "number": order["data-order-number"],
            "lines": [line.text for line in order.select(".order-lines li")],
            "total": order.select_one(".order-total strong").text,
            "status": order.select_one(".status").text,
        }
        for order in page.select("section.my-orders li.order")
    ]


def messages(page: BeautifulSoup) -> list[str]:
    return [message.text.strip() for message in page.select(".messages li")]
