"""Guessing an admin password: django-axes locks the username and the address out."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
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
    assert "locked for 15 minutes" in right.content.decode()
    assert not signed_in(client)


def test_a_few_mistakes_do_not_lock_anyone_out(client, owner):
    fail(client, 4)
    assert sign_in(client, "owner", PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_username_is_locked_from_every_address(client, owner):
    for number in range(5):
        sign_in(client, "owner", "wrong", address=f"198.51.100.{number}")

    assert sign_in(client, "owner", PASSWORD, address="192.0.2.1").status_code == 429


def test_the_address_is_locked_for_every_username(client, owner, django_user_model):
    django_user_model.objects.create_superuser("other", "other@example.com", PASSWORD)
    for number in range(5):
        sign_in(client, f"guess{number}", "wrong")

    assert sign_in(client, "other", PASSWORD).status_code == 429


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_lock(client, owner):
    for number in range(5):
        sign_in(client, f"guess{number}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")

    assert sign_in(client, "owner", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        sign_in(client, "guess", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.50")

    # Another shopper behind the same proxy can still sign in; the guesser cannot.
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
    call_command("axes_reset_ip", "203.0.113.7", stdout=StringIO())

    assert sign_in(client, "owner", PASSWORD).status_code == 302


def test_staff_can_see_and_unlock_from_the_admin(owner, admin_client):
    client = Client()
    fail(client, 5)
    listing = admin_client.get("/admin/locked-sign-ins/")
    assert listing.status_code == 200
    assert "owner" in listing.content.decode()

    attempt = AccessAttempt.objects.get(username="owner")
    unlock_url = f"/admin/locked-sign-ins/delete/{attempt.pk}/"
    assert admin_client.post(unlock_url).status_code == 302

    assert not AccessAttempt.objects.filter(username="owner").exists()
    assert sign_in(client, "owner", PASSWORD).status_code == 302
