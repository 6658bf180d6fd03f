"""Content-Security-Policy: django-csp's middleware with the shop's two policies.

The shop's pages get ``CONTENT_SECURITY_POLICY`` (no inline script, never
framed). Wagtail's admin needs a little more (``ADMIN_CONTENT_SECURITY_POLICY``).
Both let the checkout form continue to Stripe's hosted page: browsers apply
``form-action`` to the redirect that follows the POST.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
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
        return parts
