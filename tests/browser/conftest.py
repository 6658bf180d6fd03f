"""Headless Chromium for the browser tests: Debian's own, launched once per run.

Playwright's Python package brings its node driver but never a browser here:
``/usr/bin/chromium`` comes from apt (``.ci/run`` installs it when missing) and
every test marked ``browser`` is skipped, with the reason, when it is not there.
Each test gets a fresh context (cookies, storage) and page.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    # The shop and the simulator are local: an HTTP(S)_PROXY in the environment must not matter.
    "--no-proxy-server",
]
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core-4.11.1.min.js"
# How Chromium's console reports what a Content-Security-Policy blocked.
CSP_VIOLATION = "violates the following Content Security Policy directive"
# What a person meets first; "moderate" and "minor" findings are not failures.
BLOCKING_IMPACTS = ("serious", "critical")
# Long enough for the admin's first render on a busy 2-core machine, short enough to fail fast.
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}


def chromium_missing_reason() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return None
    return f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does) to run these"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = chromium_missing_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package")
def playwright(django_db_setup) -> Iterator[Playwright]:
    """Playwright's driver, for the browser package only (package scope: launched once).

    The sync API leaves its asyncio loop marked as running in this thread
    between calls. Django then (1) refuses ORM calls as "async unsafe" and
    (2) hands out a second set of database connections, kept apart from those
    the test database was set up with. Nothing here runs concurrently with the
    test's code, so Django's documented switch for (1) is on while the driver
    is; for (2) the new connections get the serialized data that
    ``serialized_rollback`` restores, and are closed before the driver stops.
    Package scope ends all of this before the rest of the suite runs.
    """
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        try:
            yield driver
        finally:
            connections.close_all()


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium for all browser tests; Playwright gives it a fresh temporary profile."""
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    expect.set_options(timeout=TIMEOUT_MS)
    yield chromium
    chromium.close()


@pytest.fixture
def context_options() -> dict:
    """Options for each test's browser context; a module overrides this fixture to change them."""
    return {}


@pytest.fixture
def new_context(browser: Browser, context_options: dict) -> Iterator[Callable[..., BrowserContext]]:
    """Open another browser context (another shopper, another device), closed after the test.

    Every page's console is watched: a Content-Security-Policy violation (an
    inline script or style the policy blocks) fails the test when it ends.
    """
    contexts: list[BrowserContext] = []
    violations: list[str] = []

    def watch_console(message: ConsoleMessage) -> None:
        if CSP_VIOLATION in message.text:
            violations.append(f"{message.location.get('url')}: {message.text}")

    def open_context(**options) -> BrowserContext:
        context = browser.new_context(viewport=DESKTOP, **{**context_options, **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", watch_console)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


# Jumps every finite animation to its end, as a person reading the page would see it. Waiting for
# them instead cost 25 s per admin page (Wagtail's "ping-warning" badge animation runs that long).
FINISH_FINITE_ANIMATIONS = """() => document.getAnimations()
    .filter(animation => animation.effect.getComputedTiming().endTime !== Infinity)
    .forEach(animation => animation.finish())"""


def axe_violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """Run axe-core on the page as it is now; one line per blocking violation.

    axe is evaluated through the DevTools protocol, which a page's CSP does not
    govern, so the pages are checked under the policies they really serve.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text())
    # A message still fading in (Wagtail's .success) has a lower contrast than the one a person
    # reads; on a loaded machine axe can catch it half-way.
    page.evaluate(FINISH_FINITE_ANIMATIONS)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['impact']} {violation['id']}: {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']]}"
        for violation in results["violations"]
        if violation["impact"] in impacts
    ]
