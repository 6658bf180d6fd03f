"""The shape of every object the simulator answers with: Stripe's published example objects.

``stripe_examples.json`` holds Stripe's examples (``resources`` of stripe/openapi's
fixtures.json, MIT, see LICENSE.stripe-openapi) for the kinds the simulator makes.
An object has exactly its example's keys, plus the few that Stripe adds only when
they apply (``CONDITIONAL``): the app's code must meet a refund without
``failure_reason`` as it will at Stripe. Keys a builder does not set get a blank
value of the example's type, so a field Stripe always sends is never missing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_DATA = json.loads(Path(__file__).with_name("stripe_examples.json").read_text(encoding="utf-8"))
EXAMPLES: dict[str, dict[str, Any]] = _DATA["resources"]

# Fields Stripe's examples leave out that Stripe sends when they apply.
CONDITIONAL: dict[str, frozenset[str]] = {
    "refund": frozenset({"failure_reason", "failure_balance_transaction"}),
}


def example_keys(kind: str) -> frozenset[str]:
    return frozenset(EXAMPLES[kind])


def shaped(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """An object of ``kind``: the example's keys, in its order, with ``values`` set.

    A value for a key Stripe does not send for this kind is a bug in the
    simulator, so it raises rather than answer with a shape Stripe never sends.
    """
    example = EXAMPLES[kind]
    unknown = set(values) - set(example) - CONDITIONAL.get(kind, frozenset())
    if unknown:
        raise KeyError(f"Stripe's {kind} has no {', '.join(sorted(unknown))}")
    built = {
        key: copy.deepcopy(values[key]) if key in values else blank(value)
        for key, value in example.items()
    }
    return built | {key: copy.deepcopy(value) for key, value in values.items() if key not in built}


def blank(value: Any) -> Any:
    """The example's value with its sample data taken out: false, empty lists, nulls."""
    if isinstance(value, dict):
        return {key: blank(item) for key, item in value.items()}
    if isinstance(value, list):
        return []
    if isinstance(value, bool):
        return False
    return None
