"""Content-Security-Policy: django-csp's middleware with the shop's two policies.

The shop's pages get ``CONTENT_SECURITY_POLICY`` (no inline script, never
framed). Wagtail's admin needs a little more (``ADMIN_CONTENT_SECURITY_POLICY``).
Both let the checkout form continue to Stripe's hosted page: browsers apply
``form-action`` to the redirect that follows the POST. A preview (Wagtail renders
the page or product for an editor, under the page's own address) may be framed by
the admin's own origin, where the preview panel shows it; nothing else may.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from csp.constants import HEADER, SELF
from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
ADMIN_PREFIX = "/admin/"


def checkout_origin() -> str:
    """Where Checkout sends the shopper: Stripe, or the simulator at STRIPE_API_BASE."""
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        return f"{parts.scheme}://{parts.netloc}"
    return STRIPE_CHECKOUT_ORIGIN


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        if parts.config is None and request.path_info.startswith(ADMIN_PREFIX):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        parts.update = {**(parts.update or {}), "form-action": [checkout_origin()]}
        if _is_preview(request):
            # Served at the admin's preview URL: 'self' is the admin's origin.
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # The shop page is served hundreds of times a second: its header, always the
        # same, is built once. Anything a view adjusted goes through django-csp as usual.
        adjusted = any(name.startswith("_csp") for name in vars(response))
        special = adjusted or HEADER in response or settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
        if special or _is_preview(request) or request.path_info.startswith(ADMIN_PREFIX):
            return super().process_response(request, response)
        response[HEADER] = _shop_policy(checkout_origin())
        return response


def _is_preview(request: HttpRequest) -> bool:
    """Wagtail's preview request (``make_preview_request``), which it marks itself."""
    return getattr(request, "is_preview", False) is True


@lru_cache(maxsize=4)
def _shop_policy(origin: str) -> str:
    """The shop's policy as a header value, with the checkout's origin in form-action."""
    update = {"form-action": [origin]}
    return build_policy(update=update)
