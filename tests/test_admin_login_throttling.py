"""Guessing an admin password: django-axes locks the (username, address) pair, and only it.

A lock on the username alone, or on the address alone, would let anyone lock the
staff out: five wrong passwords for `admin` from anywhere, or from the office's
shared address.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

LOGIN_URL = "/admin/login/"
PASSWORD = "the right password"


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_superuser("owner", "owner@example.com", PASSWORD)


def sign_in(client, username: str, password: str, address: str = "203.0.113.7", **headers):
    return client.post(
        LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def fail(client, times: int, username: str = "owner", **kwargs) -> None:
    for _ in range(times):
        sign_in(client, username, "wrong", **kwargs)


def test_fifty_wrong_passwords_then_the_right_one_stays_locked_out(client, owner):
    responses = [sign_in(client, "owner", "wrong") for _ in range(50)]

    assert [r.status_code for r in responses[:4]] == [200] * 4  # the form, with its error
    assert {r.status_code for r in responses[4:]} == {429}
    right = sign_in(client, "owner", PASSWORD)
    assert right.status_code == 429
    assert "Sign-in temporarily locked" in right.content.decode()
    assert "locked for 15 more minutes" in right.content.decode()
    assert not signed_in(client)


def test_the_lockout_says_when_to_come_back_and_guessing_on_does_not_extend_it(client, owner):
    fail(client, 5)
    first = sign_in(client, "owner", PASSWORD)
    assert 14 * 60 < int(first["Retry-After"]) <= 15 * 60

    # Ten minutes of guessing later, the lock still ends when it said it would.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    fail(client, 20)
    later = sign_in(client, "owner", PASSWORD)
    assert later.status_code == 429
    assert 4 * 60 < int(later["Retry-After"]) <= 5 * 60
    assert "locked for 5 more minutes" in later.content.decode()


def test_a_few_mistakes_do_not_lock_anyone_out(client, owner):
    fail(client, 4)
    assert sign_in(client, "owner", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_stranger_guessing_does_not_lock_the_user_out_from_their_own_address(client, owner):
    fail(client, 5, address="198.51.100.66")
    assert sign_in(client, "owner", PASSWORD, address="198.51.100.66").status_code == 429

    assert sign_in(client, "owner", PASSWORD, address="203.0.113.7").status_code == 302
    assert signed_in(client)


def test_a_guesser_does_not_lock_out_other_users_behind_the_same_address(
    client, owner, django_user_model
):
    django_user_model.objects.create_superuser("other", "other@example.com", PASSWORD)
    fail(client, 5, username="owner")

    assert sign_in(client, "other", PASSWORD).status_code == 302


def test_a_guesser_cannot_dodge_the_lock_with_new_addresses_in_one_ipv6_network(client, owner):
    for host in range(5):
        sign_in(client, "owner", "wrong", address=f"2001:db8:7:7::{host + 1}")

    assert sign_in(client, "owner", PASSWORD, address="2001:db8:7:7::99").status_code == 429
    assert sign_in(client, "owner", PASSWORD, address="2001:db8:7:8::1").status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, owner):
    for number in range(5):
        sign_in(client, "owner", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")

    assert sign_in(client, "owner", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        sign_in(client, "owner", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.50")

    # The owner behind the same proxy can still sign in; from the guesser's address, nobody.
    ok = sign_in(client, "owner", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.51")
    assert ok.status_code == 302
    client.logout()
    locked = sign_in(
        client, "owner", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50"
    )
    assert locked.status_code == 429


def test_the_lock_lifts_after_the_cool_off(client, owner):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(client, "owner", PASSWORD).status_code == 302


def test_staff_can_unlock_with_a_command(client, owner):
    fail(client, 5)
    call_command("axes_reset_username", "owner", stdout=StringIO())

    assert sign_in(client, "owner", PASSWORD).status_code == 302


def test_a_lockout_is_logged_once_with_who_and_where(client, owner, caplog):
    fail(client, 8, address="198.51.100.66")

    locks = [r for r in caplog.records if r.getMessage() == "Sign-in locked after 5 failures"]
    assert len(locks) == 1
    assert (locks[0].username, locks[0].client_address) == ("owner", "198.51.100.66")
    assert locks[0].levelname == "WARNING"


def test_staff_see_the_lock_and_unlock_it_from_the_admin(owner, admin_client, caplog):
    client = Client()
    fail(client, 3, address="198.51.100.66", HTTP_USER_AGENT="guesser/1")
    fail(client, 2, address="198.51.100.66", HTTP_USER_AGENT="guesser/2")
    fail(client, 1, username="someone", address="192.0.2.9")

    listing = admin_client.get("/admin/locked-sign-ins/")
    assert listing.status_code == 200
    page = BeautifulSoup(listing.content, "html.parser")
    rows = [row.get_text(" ", strip=True) for row in page.select("tbody tr")]
    owners = [row for row in rows if "owner" in row]  # one row per browser
    assert len(owners) == 2 and all("Locked until" in row for row in owners)
    assert [row for row in rows if "someone" in row and "Not locked (1 failure)" in row]

    unlock_url = page.select('a[aria-label="Unlock owner from 198.51.100.66"]')[0]["href"]
    confirm = admin_client.get(unlock_url).content.decode()
    assert "Forget 5 failed sign-in attempts as &#x27;owner&#x27; from 198.51.100.66" in confirm
    assert admin_client.post(unlock_url).status_code == 302

    # Every row of the pair is gone (one per browser), other people's stay.
    assert not AccessAttempt.objects.filter(username="owner").exists()
    assert AccessAttempt.objects.filter(username="someone").exists()
    unlock = next(r for r in caplog.records if r.getMessage() == "Sign-in unlocked by staff")
    assert (unlock.username, unlock.client_address, unlock.unlocked_by) == (
        "owner",
        "198.51.100.66",
        "editor",
    )
    assert sign_in(client, "owner", PASSWORD, address="198.51.100.66").status_code == 302


def test_people_without_the_permission_cannot_unlock(client, owner, django_user_model):
    fail(Client(), 5)
    staff = django_user_model.objects.create_user("clerk", "clerk@example.com", "pw")
    staff.user_permissions.add(*_admin_access())
    client.force_login(staff)
    attempt = AccessAttempt.objects.get()

    assert client.post(f"/admin/locked-sign-ins/delete/{attempt.pk}/").status_code == 302
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def _admin_access():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=["access_admin", "view_accessattempt"])
