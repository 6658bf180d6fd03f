"""Stripe's wire format: form decoding, parameter checks against the SDK, Stripe-shaped errors.

Request parameters are checked against the SDK's own ``TypedDict`` params, so a
misspelt or unsupported parameter fails here as it would at Stripe, with the
same error body (``{"error": {"type", "message", "code", "param"}}``).
"""

from __future__ import annotations

import base64
import re
import sys
import types
import typing
from functools import cache
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import stripe
from typing_extensions import is_typeddict

TEST_KEY_PREFIX = "sk_test_"

# SDK request options (api_key, idempotency_key, ...) travel as headers and are
# never body parameters, although the params TypedDicts inherit them.
REQUEST_OPTION_NAMES = frozenset(stripe.RequestOptions.__annotations__)
# Stripe lets metadata values be empty (that unsets a key); nothing else.
EMPTY_ALLOWED_UNDER = "metadata"
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
DEFAULT_LIST_LIMIT = 10
MAX_LIST_LIMIT = 100

FORM_KEY = re.compile(r"(?P<head>[^\[\]]+)(?P<tail>(?:\[[^\[\]]*\])*)")
FORM_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


class SimulatorApiError(Exception):
    """A Stripe-shaped API error: raised anywhere, rendered as Stripe's JSON body.

    The SDK picks its exception class from the status and ``type`` (400/404
    InvalidRequestError, 401 AuthenticationError, 409 and 5xx APIError, ...).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        error = {"type": self.error_type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def invalid(param: str, message: str, code: str = "parameter_invalid") -> SimulatorApiError:
    return SimulatorApiError(HTTPStatus.BAD_REQUEST, message, code=code, param=param)


def unknown(param: str) -> SimulatorApiError:
    return invalid(param, f"Received unknown parameter: {param}", "parameter_unknown")


def missing(param: str) -> SimulatorApiError:
    return invalid(param, f"Missing required param: {param}.", "parameter_missing")


def unsupported(param: str, what: str) -> SimulatorApiError:
    """Valid at Stripe, but outside what the simulator models: say so rather than ignore it."""
    return invalid(param, f"The offline Stripe simulator does not support {what}.")


def not_found(object_name: str, object_id: str, param: str) -> SimulatorApiError:
    return SimulatorApiError(
        HTTPStatus.NOT_FOUND,
        f"No such {object_name}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


# --- Form decoding -----------------------------------------------------------------


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's nested form encoding: ``a[b][0][c]=v`` -> ``{"a": {"b": [{"c": "v"}]}}``.

    A key that cannot be nested (malformed brackets, or clashing with a plain
    value) is kept whole, so the parameter check reports it as unknown.
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        match = FORM_KEY.fullmatch(key)
        parts = [match["head"], *FORM_KEY_PART.findall(match["tail"])] if match else [key]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                root[key] = value
                break
        else:
            node[parts[-1]] = value
    return _lists_from_indexes(root)


def _lists_from_indexes(value: Any) -> Any:
    """Turn dicts keyed "0".."n-1" (how arrays are encoded) into lists."""
    if not isinstance(value, dict):
        return value
    items = {key: _lists_from_indexes(item) for key, item in value.items()}
    if items and sorted(items) == sorted(str(index) for index in range(len(items))):
        return [items[str(index)] for index in range(len(items))]
    return items


def reject_empty_strings(value: Any, param: str = "") -> None:
    """Stripe reads ``param=`` as "unset", which a create request cannot do: refuse it."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != EMPTY_ALLOWED_UNDER:
                reject_empty_strings(item, _child(param, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            reject_empty_strings(item, _child(param, index))
    elif value == "":
        raise invalid(
            param,
            f"You passed an empty string for '{param}'. We assume empty values are an attempt "
            f"to unset a parameter; however '{param}' cannot be unset. You should remove "
            f"'{param}' from your request or supply a non-empty value.",
            "parameter_invalid_empty",
        )


# --- Parameter checks against the SDK's TypedDicts -------------------------------------


@cache
def fields(typed_dict: type) -> dict[str, Any]:
    """Parameter name -> type hint for one of the SDK's params TypedDicts.

    ``typing.get_type_hints`` on the class itself fails with a NameError: the
    inherited request options name ``StripeContext``, imported there only for
    type checkers. Those are headers, not parameters, so they are dropped and
    the rest resolved in the namespace of the module defining the class.
    """
    own = {
        name: hint
        for name, hint in typed_dict.__annotations__.items()
        if name not in REQUEST_OPTION_NAMES
    }
    module = sys.modules[typed_dict.__module__]
    holder = types.SimpleNamespace(__annotations__=own)
    return typing.get_type_hints(holder, globalns=vars(module), include_extras=True)


def literal_values(typed_dict: type, name: str) -> frozenset[str]:
    """Every string literal in a field's hint: the values Stripe documents for it."""
    found: set[str] = set()
    pending = [fields(typed_dict)[name]]
    while pending:
        hint = pending.pop()
        if typing.get_origin(hint) is typing.Literal:
            found.update(str(option) for option in typing.get_args(hint))
        else:
            pending.extend(typing.get_args(hint))
    return frozenset(found)


def conform(value: Any, hint: Any, param: str = "") -> Any:
    """Check decoded form data against an SDK type hint, as Stripe checks a request.

    Returns the value with numbers and booleans converted; raises
    SimulatorApiError naming the offending parameter (``line_items[0][foo]``).
    """
    hint = _strip_qualifiers(hint)
    kind = _kind(hint)
    if kind == "object":
        return _conform_object(value, hint, param)
    if kind == "list":
        return _conform_list(value, typing.get_args(hint)[0], param)
    if kind == "map":
        return _conform_map(value, typing.get_args(hint)[1], param)
    if kind == "union":
        return _conform_union(value, typing.get_args(hint), param)
    return _conform_scalar(value, hint, param)


def _strip_qualifiers(hint: Any) -> Any:
    while typing.get_origin(hint) in (typing.NotRequired, typing.Required, typing.Annotated):
        hint = typing.get_args(hint)[0]
    return hint


def _kind(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if is_typeddict(hint):
        return "object"
    if origin is list:
        return "list"
    if origin is dict:
        return "map"
    # ``A | B`` of two classes is a types.UnionType; with a typing form, a typing.Union.
    if origin in (typing.Union, types.UnionType):
        return "union"
    if origin is typing.Literal or hint in (str, int, bool, float):
        return "scalar"
    return "other"  # e.g. UntypedStripeObject: a response type, never sent


def _shape_matches(value: Any, kind: str) -> bool:
    if isinstance(value, dict):
        return kind in ("object", "map")
    if isinstance(value, list):
        return kind in ("list", "map")
    return kind == "scalar"


def _child(param: str, key: str | int) -> str:
    return f"{param}[{key}]" if param else str(key)


def _conform_object(value: Any, typed_dict: type, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(param, f"Invalid object: {param}")
    hints = fields(typed_dict)
    result = {}
    for key, item in value.items():
        if key not in hints:
            raise unknown(_child(param, key))
        result[key] = conform(item, hints[key], _child(param, key))
    for key in hints:
        if key in typed_dict.__required_keys__ and key not in value:
            raise missing(_child(param, key))
    return result


def _conform_list(value: Any, item_hint: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(param, f"Invalid array: {param}")
    return [conform(item, item_hint, _child(param, index)) for index, item in enumerate(value)]


def _conform_map(value: Any, value_hint: Any, param: str) -> dict[str, Any]:
    if isinstance(value, list):  # a map whose keys happened to be "0", "1", ...
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise invalid(param, f"Invalid object: {param}")
    return {key: conform(item, value_hint, _child(param, key)) for key, item in value.items()}


def _conform_union(value: Any, members: tuple[Any, ...], param: str) -> Any:
    """The first member the value fits; else the error of the first plausible one."""
    plausible = [
        member for member in map(_strip_qualifiers, members) if _shape_matches(value, _kind(member))
    ]
    if not plausible:
        raise invalid(param, f"Invalid value for {param}")
    first_error = None
    for member in plausible:
        try:
            return conform(value, member, param)
        except SimulatorApiError as error:
            first_error = first_error or error
    raise first_error


def _conform_scalar(value: Any, hint: Any, param: str) -> Any:
    if not isinstance(value, str):
        raise invalid(param, f"Invalid value for {param}: expected a single value")
    if typing.get_origin(hint) is typing.Literal:
        allowed = [str(option) for option in typing.get_args(hint)]
        if value not in allowed:
            raise invalid(param, f"Invalid {param}: must be one of {', '.join(allowed)}")
        return value
    if hint is int:
        if not re.fullmatch(r"-?\d+", value):
            raise invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
        return int(value)
    if hint is float:
        if not re.fullmatch(r"-?\d+(\.\d+)?", value):
            raise invalid(param, f"Invalid decimal: {value}", "parameter_invalid_decimal")
        return float(value)
    if hint is bool:
        if value not in ("true", "false"):
            raise invalid(param, f"Invalid boolean: {value}")
        return value == "true"
    return value


# --- Parameters every endpoint shares ---------------------------------------------------


def reject_expand(params: dict[str, Any]) -> None:
    if "expand" in params:
        raise unsupported("expand", "expanding fields")


def metadata_of(metadata: dict[str, str] | str | None, param: str) -> dict[str, str]:
    """Metadata as stored: an empty value (a whole ``metadata=``, or one key's) unsets."""
    if not metadata:
        return {}
    if len(metadata) > MAX_METADATA_KEYS:
        raise invalid(param, f"Metadata can have at most {MAX_METADATA_KEYS} keys.")
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise invalid(f"{param}[{key}]", "Metadata keys can be at most 40 characters.")
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            raise invalid(f"{param}[{key}]", "Metadata values can be at most 500 characters.")
    return {key: value for key, value in metadata.items() if value}


# --- Authentication ---------------------------------------------------------------------


def api_key_from(authorization: str | None) -> str | None:
    """The key from ``Bearer <key>`` (the SDK) or Basic auth with the key as user (curl -u)."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            credentials = base64.b64decode(credentials).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return None
    elif scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def check_api_key(api_key: str | None) -> None:
    """Only secret test keys: the simulator is a test-mode Stripe account."""
    if not api_key:
        raise SimulatorApiError(
            HTTPStatus.UNAUTHORIZED,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    if not api_key.startswith(TEST_KEY_PREFIX):
        masked = api_key[:8] + "*" * max(len(api_key) - 12, 0) + api_key[-4:]
        raise SimulatorApiError(HTTPStatus.UNAUTHORIZED, f"Invalid API Key provided: {masked}")
