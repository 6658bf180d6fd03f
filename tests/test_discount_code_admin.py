"""Staff make and edit discount codes in Wagtail's admin; Stripe gets a coupon and a promotion
code for each set of terms, once, and old ones are deactivated, never deleted."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from store.models import DiscountCode, DiscountCodeTerms
from tests.admin_pages import admin_messages, staff_client
from tests.conftest import requires_postgres
from tests.discount_codes import ADD_URL, code_form, create_code, edit_code, edit_url

pytestmark = pytest.mark.django_db

PERCENT_RANGE = "The percentage must be above 0 and at most 100."
NO_USES = "Allow at least one use, or leave it empty for no limit."


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
        ({"percent_off": "0"}, "percent_off", PERCENT_RANGE),
        ({"percent_off": "100.5"}, "percent_off", PERCENT_RANGE),
        ({"percent_off": ""}, "percent_off", "Type the percentage off, e.g. 10."),
        (
            {"kind": "fixed", "amount_off": ""},
            "amount_off",
            "Type the amount off in INR, e.g. 100.",
        ),
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
        ({"max_uses": "0"}, "max_uses", NO_USES),
        ({"max_uses_per_email": "0"}, "max_uses_per_email", NO_USES),
        (
            {"code": "DIWALI 10"},
            "code",
            "Use only letters and digits (no spaces or dashes), e.g. DIWALI10.",
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


def test_the_discount_codes_group_may_add_and_edit_codes_but_never_delete_them(stripe_sim):
    staff = staff_client("sales", "Discount codes")
    discount_code = create_code(staff)

    assert staff.get(edit_url(discount_code)).status_code == 200
    listing = staff.get("/admin/discount_codes/")
    assert listing.status_code == 200 and "DIWALI10" in listing.content.decode()
    assert f"/admin/discount_codes/delete/{discount_code.pk}/" not in listing.content.decode()
    refused = staff.post(f"/admin/discount_codes/delete/{discount_code.pk}/")
    assert refused.status_code == 302
    assert DiscountCode.objects.filter(pk=discount_code.pk).exists()
    orders_staff = staff_client("packer", "Order fulfilment")
    assert orders_staff.get(ADD_URL).status_code == 302
    assert edit_code(orders_staff, discount_code, percent_off="50").status_code == 302
    assert DiscountCodeTerms.objects.get(discount_code=discount_code).percent_off == 10


def test_not_even_a_superuser_can_delete_a_code(admin_client, stripe_sim):
    discount_code = create_code(admin_client)

    admin_client.post(f"/admin/discount_codes/delete/{discount_code.pk}/")

    assert DiscountCode.objects.filter(pk=discount_code.pk).exists()


def coupon_requests(stripe_sim) -> list:
    return [r for r in stripe_sim.requests if (r.method, r.path) == ("POST", "/v1/coupons")]


def test_creating_a_code_makes_a_coupon_and_its_promotion_code_at_stripe(admin_client, stripe_sim):
    response = admin_client.post(
        ADD_URL,
        code_form(
            percent_off="12.5",
            minimum_subtotal="999",
            ends_at="2099-01-31 23:59",
            max_uses="100",
        ),
        follow=True,
    )

    (created,) = admin_messages(response)
    assert created.startswith("Discount code 'DIWALI10' created.")
    (coupon,) = stripe_sim.coupons.values()
    assert (coupon["percent_off"], coupon["amount_off"], coupon["duration"]) == (12.5, None, "once")
    assert coupon["max_redemptions"] == 100
    (promotion_code,) = stripe_sim.promotion_codes.values()
    assert promotion_code["code"] == "DIWALI10" and promotion_code["active"] is True
    assert promotion_code["promotion"] == {"type": "coupon", "coupon": coupon["id"]}
    assert promotion_code["restrictions"]["minimum_amount"] == 99900
    assert promotion_code["restrictions"]["minimum_amount_currency"] == "inr"
    assert promotion_code["expires_at"] == coupon["redeem_by"] == promotion_code["expires_at"]
    assert promotion_code["max_redemptions"] == 100
    (terms,) = DiscountCodeTerms.objects.all()
    assert (terms.stripe_coupon_id, terms.stripe_promotion_code_id) == (
        coupon["id"],
        promotion_code["id"],
    )
    listing = BeautifulSoup(admin_client.get("/admin/discount_codes/").content, "html.parser")
    assert [cell.text.strip() for cell in listing.select("tbody tr td")][1:] == [
        "12.5% off",
        "True",
        "0",
        "₹0.00",
        "Yes",
    ]


def test_a_fixed_amount_code_is_a_coupon_of_that_many_paise(admin_client, stripe_sim):
    create_code(admin_client, code="FLAT100", kind="fixed", percent_off="", amount_off="100")

    (coupon,) = stripe_sim.coupons.values()
    assert (coupon["amount_off"], coupon["currency"], coupon["percent_off"]) == (10000, "inr", None)


def test_editing_the_terms_makes_one_new_coupon_and_deactivates_the_old_code_once(
    admin_client, stripe_sim
):
    discount_code = create_code(admin_client)
    (old_coupon,) = stripe_sim.coupons

    first = edit_code(admin_client, discount_code, percent_off="15")
    again = edit_code(admin_client, discount_code, percent_off="15")  # the same form, twice

    assert first.status_code == again.status_code == 302
    assert len(stripe_sim.coupons) == 2
    new_coupon = next(c for c in stripe_sim.coupons.values() if c["id"] != old_coupon)
    assert new_coupon["percent_off"] == 15
    by_coupon = {p["promotion"]["coupon"]: p for p in stripe_sim.promotion_codes.values()}
    assert len(by_coupon) == 2
    assert by_coupon[old_coupon]["active"] is False  # kept, never deleted
    assert by_coupon[new_coupon["id"]]["active"] is True
    old, new = DiscountCodeTerms.objects.order_by("created_at", "pk")
    assert old.retired_at is not None and new.retired_at is None
    assert (old.percent_off, new.percent_off) == (10, 15)


def test_switching_a_code_off_and_on_changes_only_its_promotion_codes_active(
    admin_client, stripe_sim
):
    discount_code = create_code(admin_client)

    edit_code(admin_client, discount_code, active="")
    (promotion_code,) = stripe_sim.promotion_codes.values()
    assert promotion_code["active"] is False
    discount_code.refresh_from_db()
    edit_code(admin_client, discount_code, active="on")

    assert len(stripe_sim.coupons) == 1
    (promotion_code,) = stripe_sim.promotion_codes.values()
    assert promotion_code["active"] is True


@pytest.mark.parametrize("endpoint", ["POST /v1/coupons", "POST /v1/promotion_codes"])
def test_an_answer_lost_on_the_way_back_is_made_once_when_saved_again(
    admin_client, stripe_sim, endpoint
):
    stripe_sim.drop_next_response(endpoint=endpoint)

    response = admin_client.post(ADD_URL, code_form(), follow=True)

    assert response.status_code == 200
    (warning,) = [m for m in admin_messages(response) if "Stripe is not in step" in m]
    assert warning.startswith("DIWALI10 is saved but Stripe is not in step with it yet (")
    discount_code = DiscountCode.objects.get()
    listing = admin_client.get("/admin/discount_codes/").content.decode()
    assert "Not yet: APIConnectionError" in listing

    assert edit_code(admin_client, discount_code).status_code == 302

    assert len(stripe_sim.coupons) == len(stripe_sim.promotion_codes) == 1
    (terms,) = DiscountCodeTerms.objects.all()
    assert terms.at_stripe and terms.sync_error == ""
    assert (terms.stripe_promotion_code_id,) == tuple(stripe_sim.promotion_codes)
    assert "Not yet" not in admin_client.get("/admin/discount_codes/").content.decode()


def test_stripe_refusing_leaves_the_code_saved_and_sync_orders_brings_it_in_step(
    admin_client, stripe_sim
):
    stripe_sim.fail_next(500)  # saved for its idempotency key, and replayed for it, as Stripe does

    response = admin_client.post(ADD_URL, code_form(), follow=True)

    assert response.status_code == 200
    assert any("Stripe is not in step" in m for m in admin_messages(response))
    assert not stripe_sim.coupons
    reopened = admin_client.get(edit_url(DiscountCode.objects.get()))
    assert any("Stripe is not in step" in m for m in admin_messages(reopened))
    out = StringIO()
    call_command("sync_orders", stdout=out)
    assert "brought 1 discount codes in step with Stripe" in out.getvalue()
    assert len(stripe_sim.coupons) == len(stripe_sim.promotion_codes) == 1


def test_a_code_that_starts_later_is_switched_on_at_stripe_by_sync_orders_when_it_starts(
    admin_client, stripe_sim
):
    create_code(admin_client, starts_at="2099-01-01 00:00")
    (promotion_code,) = stripe_sim.promotion_codes.values()
    assert promotion_code["active"] is False

    DiscountCode.objects.update(starts_at=timezone.now() - timedelta(minutes=1))
    call_command("sync_orders", stdout=StringIO())

    (promotion_code,) = stripe_sim.promotion_codes.values()
    assert promotion_code["active"] is True


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_code_saved_twice_at_once_is_one_code_and_a_message_not_an_error(
    admin_client, stripe_sim
):
    """The other request's INSERT is not committed when this one checks the code is free, so
    this one's INSERT waits for it and then breaks the unique index."""
    inserted, release = threading.Event(), threading.Event()

    def other_request():
        try:
            with transaction.atomic():
                DiscountCode.objects.create(code="diwali10", percent_off=10)
                inserted.set()
                release.wait(5)
        finally:
            connection.close()

    other = threading.Thread(target=other_request)
    other.start()
    assert inserted.wait(5)
    threading.Timer(0.5, release.set).start()

    response = admin_client.post(ADD_URL, code_form())
    other.join()

    assert response.status_code == 200
    assert field_errors(response)["code"] == ["There is already a discount code DIWALI10."]
    assert DiscountCode.objects.count() == 1
    assert not stripe_sim.coupons
