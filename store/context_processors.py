"""Template context every page needs: the shop's name and whether payments are simulated."""

from django.conf import settings


def store(request) -> dict:
    return {
        "store_name": settings.WAGTAIL_SITE_NAME,
        # The simulator is the only reason to point the SDK at another API host.
        "payments_simulated": bool(settings.STRIPE_API_BASE),
    }
