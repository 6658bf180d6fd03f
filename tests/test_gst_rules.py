"""GST's rules on their own: GSTINs, states and union territories, the tax split and its
rounding, sharing amounts out, amounts in words, financial years."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from store.gst import states
from store.gst.gstin import normalize, validate_gstin
from store.gst.numbering import financial_year
from store.gst.tax import (
    RATE_SLABS,
    Levy,
    Supply,
    Tax,
    levy_for,
    reverse_share,
    split,
    spread,
    tax_supplies,
)
from store.gst.words import amount_in_words


@pytest.mark.parametrize("number", ["29AAGCB7383J1Z4", "27AAPFU0939F1ZV", " 29aagcb 7383j1z4 "])
def test_valid_gstins_pass(number):
    validate_gstin(number)


@pytest.mark.parametrize(
    "number, says",
    [
        ("29AAGCB7383J1Z5", "check digit is wrong"),
        ("29AAGCB7383J1Z", "has 14"),
        ("29AAGCB7383J1X4", "two-digit state code, the 10-character PAN"),
        ("99AAGCB7383J1Z4", "99 is not a GST state code"),
        ("29AAGXB7383J1Z4", "not a valid PAN"),
    ],
)
def test_invalid_gstins_say_what_is_wrong(number, says):
    with pytest.raises(ValidationError) as refused:
        validate_gstin(number)
    assert says in refused.value.messages[0]


def test_gstins_are_kept_as_written_on_invoices():
    assert normalize(" 29aagcb 7383j1z4\n") == "29AAGCB7383J1Z4"


@pytest.mark.parametrize(
    "stripe_state, code, state_tax",
    [
        ("KA", "29", "SGST"),
        ("MH", "27", "SGST"),
        ("DL", "07", "SGST"),  # a union territory with a legislature
        ("PY", "34", "SGST"),
        ("LD", "31", "UTGST"),  # without one
        ("CH", "04", "UTGST"),
        ("AN", "35", "UTGST"),
        ("LA", "38", "UTGST"),
        ("DH", "26", "UTGST"),
        ("OR", "21", "SGST"),  # ISO's older code for Odisha
        ("TG", "36", "SGST"),
        ("ka", "29", "SGST"),
        ("Tamil Nadu", "33", "SGST"),
    ],
)
def test_stripes_state_codes_are_gst_states(stripe_state, code, state_tax):
    state = states.for_address("IN", stripe_state)
    assert (state.code, state.state_tax_name) == (code, state_tax)


@pytest.mark.parametrize("country, state", [("US", "KA"), ("IN", "XX"), ("IN", ""), ("", "KA")])
def test_addresses_gst_does_not_know_have_no_state(country, state):
    assert states.for_address(country, state) is None


def test_the_levy_is_by_whether_the_goods_leave_the_sellers_state():
    karnataka, maharashtra = states.BY_CODE["29"], states.BY_CODE["27"]
    assert levy_for(karnataka, karnataka) is Levy.INTRA_STATE
    assert levy_for(karnataka, maharashtra) is Levy.INTER_STATE


def test_the_split_of_a_tax_inclusive_price():
    # ₹500 at 5 %: 476.19 + 23.81; within a state 11.905 each half, rounded half up.
    assert split(50000, 5, Levy.INTER_STATE) == Tax(taxable_value=47619, igst=2381)
    assert split(50000, 5, Levy.INTRA_STATE) == Tax(47620, cgst=1190, state_tax=1190)
    assert split(118000, 18, Levy.INTRA_STATE) == Tax(100000, 9000, 9000, 0)
    assert split(30000, 0, Levy.INTRA_STATE) == Tax(30000)


@given(
    amount=st.integers(min_value=0, max_value=10**11),
    rate=st.sampled_from(RATE_SLABS),
    levy=st.sampled_from(Levy),
)
def test_every_split_adds_up_to_the_charged_amount_to_the_paisa(amount, rate, levy):
    tax = split(amount, rate, levy)
    assert tax.amount == amount
    assert tax.cgst == tax.state_tax  # CGST and SGST are always the same
    exact = Fraction(amount * rate, 100 + rate)
    assert abs(tax.total_tax - exact) <= 1  # each half is off by at most half a paisa


@given(
    amount=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=8),
)
def test_spreading_an_amount_adds_up_and_takes_no_more_than_each_weight(amount, weights):
    amount = min(amount, sum(weights))
    if not sum(weights):
        return
    shares = spread(amount, weights)
    assert sum(shares) == amount
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))


def test_a_discount_is_shared_over_the_lines_and_taxed_after():
    supplies = [
        Supply("T-Shirt", "6109", 2, 50000, 100000, Decimal(5)),
        Supply("Shoes", "6404", 1, 120000, 120000, Decimal(18)),
    ]
    taxed = tax_supplies(supplies, Levy.INTER_STATE, discount=11000)

    assert [line.supply.amount for line in taxed] == [95000, 114000]
    assert sum(line.tax.amount for line in taxed) == 220000 - 11000


def test_reversing_part_of_a_line_is_proportional_and_all_of_it_is_exact():
    line = split(130000, 12, Levy.INTRA_STATE)  # taxable 116072, 6964 + 6964
    part = reverse_share(line, 52000)  # 40 %
    assert part == Tax(46428, 2786, 2786, 0) and part.amount == 52000
    assert reverse_share(line - part, 78000) == line - part


@pytest.mark.parametrize(
    "paise, words",
    [
        (12500000, "One Lakh Twenty-Five Thousand Rupees"),
        (120050, "One Thousand Two Hundred Rupees and Fifty Paise"),
        (
            2345678901,
            "Two Crore Thirty-Four Lakh Fifty-Six Thousand Seven Hundred and "
            "Eighty-Nine Rupees and One Paisa",
        ),
        (100, "One Rupee"),
        (5, "Five Paise"),
        (0, "Zero Rupees"),
    ],
)
def test_amounts_in_words_count_in_lakhs_and_crores(paise, words):
    assert amount_in_words(paise) == words


@pytest.mark.parametrize(
    "day, year",
    [
        (date(2026, 3, 31), "2025-26"),
        (date(2026, 4, 1), "2026-27"),
        (date(2026, 12, 31), "2026-27"),
        (date(2100, 1, 1), "2099-00"),
    ],
)
def test_financial_years_run_from_april_to_march(day, year):
    assert financial_year(day) == year
