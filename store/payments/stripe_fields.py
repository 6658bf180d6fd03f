"""Reading Stripe objects as Stripe sends them.

Stripe leaves a field out of an object when it does not apply (a refund's `failure_reason`,
a session's `payment_intent` before payment, a charge's `dispute`), and stripe-python raises
`AttributeError` for a field that is not there. Every optional field is read through `optional`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe


def optional(obj: Any, *path: str, default: Any = None) -> Any:
    """The value at `path` (e.g. `optional(session, "collected_information", "shipping_details")`),
    or `default` when a step is absent, null, or not an object.

    Works on StripeObjects and on plain dicts (webhook payloads) alike.
    """
    value = obj
    for key in path:
        if isinstance(value, stripe.StripeObject):
            value = value[key] if key in value else None
        elif isinstance(value, Mapping):
            value = value.get(key)
        else:
            return default
        if value is None:
            return default
    return value


def object_id(value: Any) -> str | None:
    """The id of an expandable field, whether Stripe sent the id or the expanded object."""
    if isinstance(value, str):
        return value or None
    return optional(value, "id")
