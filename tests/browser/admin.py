"""Staff in a real browser: signing in to Wagtail's admin through its own form."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/admin/")
