"""India's states and union territories as GST numbers them, and where Stripe's addresses fit.

The place of supply of goods sent to a buyer is where they are delivered (IGST
Act s. 10(1)(a)): Stripe gives the shipping address's ``state`` as the ISO
3166-2:IN subdivision code without its ``IN-`` prefix ("KA", "MH", "DL").
Union territories without a legislature levy UTGST where states levy SGST
(UTGST Act s. 7); Delhi, Puducherry and Jammu and Kashmir have legislatures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    """A state or union territory: its two-digit GST code, its name, and its own tax."""

    code: str
    name: str
    # A union territory without a legislature: UTGST in place of SGST.
    levies_utgst: bool = False

    @property
    def state_tax_name(self) -> str:
        return "UTGST" if self.levies_utgst else "SGST"

    @property
    def label(self) -> str:
        """ "29-Karnataka", as GSTR-1 names a place of supply."""
        return f"{self.code}-{self.name}"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


# GST state codes in use (the first two digits of a GSTIN), with the ISO 3166-2:IN codes of
# each; older ISO codes (OR, CT, UT, TG, DN, DD) stay accepted, as addresses may carry them.
_STATES = [
    (State("01", "Jammu and Kashmir"), ("JK",)),
    (State("02", "Himachal Pradesh"), ("HP",)),
    (State("03", "Punjab"), ("PB",)),
    (State("04", "Chandigarh", levies_utgst=True), ("CH",)),
    (State("05", "Uttarakhand"), ("UK", "UT")),
    (State("06", "Haryana"), ("HR",)),
    (State("07", "Delhi"), ("DL",)),
    (State("08", "Rajasthan"), ("RJ",)),
    (State("09", "Uttar Pradesh"), ("UP",)),
    (State("10", "Bihar"), ("BR",)),
    (State("11", "Sikkim"), ("SK",)),
    (State("12", "Arunachal Pradesh"), ("AR",)),
    (State("13", "Nagaland"), ("NL",)),
    (State("14", "Manipur"), ("MN",)),
    (State("15", "Mizoram"), ("MZ",)),
    (State("16", "Tripura"), ("TR",)),
    (State("17", "Meghalaya"), ("ML",)),
    (State("18", "Assam"), ("AS",)),
    (State("19", "West Bengal"), ("WB",)),
    (State("20", "Jharkhand"), ("JH",)),
    (State("21", "Odisha"), ("OD", "OR")),
    (State("22", "Chhattisgarh"), ("CG", "CT")),
    (State("23", "Madhya Pradesh"), ("MP",)),
    (State("24", "Gujarat"), ("GJ",)),
    (
        State("26", "Dadra and Nagar Haveli and Daman and Diu", levies_utgst=True),
        ("DH", "DN", "DD"),
    ),
    (State("27", "Maharashtra"), ("MH",)),
    (State("29", "Karnataka"), ("KA",)),
    (State("30", "Goa"), ("GA",)),
    (State("31", "Lakshadweep", levies_utgst=True), ("LD",)),
    (State("32", "Kerala"), ("KL",)),
    (State("33", "Tamil Nadu"), ("TN",)),
    (State("34", "Puducherry"), ("PY",)),
    (State("35", "Andaman and Nicobar Islands", levies_utgst=True), ("AN",)),
    (State("36", "Telangana"), ("TS", "TG")),
    (State("37", "Andhra Pradesh"), ("AP",)),
    (State("38", "Ladakh", levies_utgst=True), ("LA",)),
]

BY_CODE: dict[str, State] = {state.code: state for state, _ in _STATES}
# Stripe's state codes, and the names people type where a form lets them.
_BY_ADDRESS: dict[str, State] = {
    key: state
    for state, iso_codes in _STATES
    for key in (*iso_codes, *(f"IN-{code}" for code in iso_codes), state.name.upper())
}
_BY_ADDRESS |= {"ORISSA": BY_CODE["21"], "PONDICHERRY": BY_CODE["34"]}

CHOICES = [(state.code, state.name) for state, _ in sorted(_STATES, key=lambda s: s[0].name)]


def for_code(code: str) -> State | None:
    """The state a GST code ("29") stands for."""
    return BY_CODE.get(code)


def for_address(country: str, state: str) -> State | None:
    """The state of an Indian shipping address as Stripe gives it ("IN", "KA"); None when
    the address is abroad or its state is not one GST knows."""
    if (country or "").strip().upper() != "IN":
        return None
    return _BY_ADDRESS.get(" ".join((state or "").split()).upper())
