"""Discount codes as staff make them in the admin, for the tests: the form as posted."""

from __future__ import annotations

from django.test import Client

from store.models import DiscountCode

ADD_URL = "/admin/discount_codes/new/"


def edit_url(discount_code: DiscountCode) -> str:
    return f"/admin/discount_codes/edit/{discount_code.pk}/"


def code_form(**fields: str) -> dict[str, str]:
    """The add form as a person fills it in: a 10 % code with no limits unless told."""
    form = {
        "code": "DIWALI10",
        "kind": "percent",
        "percent_off": "10",
        "amount_off": "",
        "minimum_subtotal": "",
        "starts_at": "",
        "ends_at": "",
        "max_uses": "",
        "max_uses_per_email": "",
        "active": "on",
    }
    form.update(fields)
    if form["active"] == "":
        del form["active"]
    return form


def create_code(client: Client, **fields: str) -> DiscountCode:
    response = client.post(ADD_URL, code_form(**fields))
    assert response.status_code == 302, response.content.decode()[:3000]
    return DiscountCode.objects.get(code=fields.get("code", "DIWALI10").upper())


def edit_code(client: Client, discount_code: DiscountCode, **fields: str):
    current = {
        "code": discount_code.code,
        "kind": discount_code.kind,
        "percent_off": str(discount_code.percent_off or ""),
        "amount_off": "",
        "minimum_subtotal": "",
        "active": "on" if discount_code.active else "",
    }
    return client.post(edit_url(discount_code), code_form(**(current | fields)))
