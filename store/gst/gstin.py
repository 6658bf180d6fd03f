"""GSTINs: the 15 characters a GST-registered seller prints on every invoice.

Two digits of state code, the holder's PAN (10), the registration's number in
that state (1-9, A-Z), "Z", and a check digit (Luhn mod 36 over 0-9A-Z).
python-stdnum checks the PAN and the check digit; the state codes are ours
(``store.gst.states``), as stdnum's list predates Ladakh's.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.in_ import pan

from store.gst import states

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SHAPE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


def normalize(text: str) -> str:
    """What people paste ("29 aagcb 7383 j1z4") as the GSTIN is written: upper case, no spaces."""
    return "".join((text or "").split()).upper()


def validate_gstin(text: str) -> None:
    """Raise a ValidationError saying what is wrong with a GSTIN, if anything."""
    number = normalize(text)
    if len(number) != 15:
        raise ValidationError(
            f"A GSTIN has 15 characters; this one has {len(number)}.", code="gstin_length"
        )
    if not SHAPE.match(number):
        raise ValidationError(
            "A GSTIN is a two-digit state code, the 10-character PAN, one more letter or "
            "digit, Z and a check character, such as 29AAGCB7383J1Z4.",
            code="gstin_format",
        )
    if states.for_code(number[:2]) is None:
        raise ValidationError(f"{number[:2]} is not a GST state code.", code="gstin_state")
    try:
        pan.validate(number[2:12])
    except StdnumError as error:
        raise ValidationError(
            f"Characters 3 to 12 ({number[2:12]}) are not a valid PAN.", code="gstin_pan"
        ) from error
    try:
        luhn.validate(number, ALPHABET)
    except StdnumError as error:
        raise ValidationError(
            "The last character does not match the others (the check digit is wrong): "
            "check the GSTIN for a typing mistake.",
            code="gstin_check_digit",
        ) from error


def state_of(number: str) -> states.State | None:
    """The state a (valid) GSTIN is registered in."""
    return states.for_code(normalize(number)[:2])
