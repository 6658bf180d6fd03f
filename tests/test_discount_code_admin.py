"""Staff make and edit discount codes in Wagtail's admin; Stripe gets a coupon and a promotion
code for each set of terms, once, and old ones are deactivated, never deleted."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from store.models import DiscountCode, DiscountCodeTerms
from tests.admin_pages import admin_messages, staff_client
from tests.discount_codes import ADD_URL, code_form, create_code, edit_code, edit_url

pytestmark = pytest.mark.django_db


def field_errors(response) -> dict[str, list[str]]:
    page = BeautifulSoup(response.content, "html.parser")
    errors = {}
    for field in page.select("[data-field-wrapper]"):
        found = [error.text.strip() for error in field.select(".error-message")]
        if found:
            name = field.select_one("input, select, textarea")["name"]
            errors[name] = found
    return errors


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"percent_off": "0"}, "percent_off", "The percentage must be above 0 and at most 100."),
        ({"percent_off": "100.5"}, "percent_off", "The percentage must be above 0 and at most 100."),
        ({"percent_off": ""}, "percent_off", "Type the percentage off, e.g. 10."),
        ({"kind": "fixed", "amount_off": ""}, "amount_off", "Type the amount off in INR, e.g. 100."),
        (
            {"kind": "fixed", "amount_off": "500", "minimum_subtotal": "500"},
            "amount_off",
            "The amount off must be below the minimum subtotal (₹500.00), or an order could "
            "cost nothing.",
        ),
        (
            {"kind": "fixed", "amount_off": "hundred"},
            "amount_off",
            "“hundred” is not a number. Type a price such as 500 or 1,250.50.",
        ),
        (
            {"starts_at": "2030-01-10 10:00", "ends_at": "2030-01-09 10:00"},
            "ends_at",
            "The code must end after it starts.",
        ),
        (
            {"ends_at": "2020-01-01 10:00"},
            "ends_at",
            "The end must be in the future; to stop a code now, untick Active.",
        ),
        (
            {"code": "DIWALI 10"},
            "code",
            "Use only letters, digits and dashes (no spaces), e.g. DIWALI-10.",
        ),
    ],
)
def test_a_code_staff_get_wrong_is_refused_with_a_clear_message_and_nothing_is_made(
    admin_client, stripe_sim, fields, field, message
):
    response = admin_client.post(ADD_URL, code_form(**fields))

    assert response.status_code == 200
    assert field_errors(response)[field] == [message]
    assert not DiscountCode.objects.exists()
    assert stripe_sim.requests == []


def test_a_code_is_unique_whatever_its_case(admin_client, stripe_sim):
    create_code(admin_client, code="diwali10")

    response = admin_client.post(ADD_URL, code_form(code="Diwali10"))

    assert field_errors(response)["code"] == ["There is already a discount code DIWALI10."]
    assert DiscountCode.objects.get().code == "DIWALI10"


def test_the_discount_codes_group_may_add_and_edit_codes_but_never_delete_them(
    stripe_sim, transactional_db
):
    staff = staff_client("sales", "Discount codes")
    discount_code = create_code(staff)

    assert staff.get(edit_url(discount_code)).status_code == 200
    assert staff.get(f"/admin/discount_codes/delete/{discount_code.pk}/").status_code in (
        302,
        403,
        404,
    )
    assert DiscountCode.objects.filter(pk=discount_code.pk).exists()
    orders_staff = staff_client("packer", "Order fulfilment")
    assert orders_staff.get(ADD_URL).status_code in (302, 403)
    assert edit_code(orders_staff, discount_code, percent_off="50").status_code in (302, 403)
    assert DiscountCodeTerms.objects.filter(discount_code=discount_code).count() == 1
    assert admin_messages(staff.get("/admin/discount_codes/")) == []
