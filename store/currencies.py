"""What Stripe allows per currency: which ones, how many decimals, the smallest and largest charge.

Source: https://docs.stripe.com/currencies (presentment currencies, zero-decimal
currencies and "Minimum and maximum charge amounts"), read November 2026.
Amounts are integers in the currency's minor unit with *Stripe's* exponent,
which differs from ISO 4217 for ISK and UGX (Stripe takes them with two decimals).

The offline simulator keeps its own copy (``stripe_simulator/currencies.json``):
tests charge the simulator at each minimum here, so a wrong row on either side fails.
"""

from __future__ import annotations

# Card payments can be presented in these (lowercase, as the API wants them).
SUPPORTED_CURRENCIES = frozenset(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp
    byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel
    gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt
    lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok
    npr nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos
    srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer
    zar zmw
    """.split()
)

# The amount is already in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf".split()
)

# The smallest charge, in minor units, for the currencies Stripe settles in. Other
# currencies are converted to the account's settlement currency first, so their
# minimum depends on the day's rate (the system check says so).
MINIMUM_CHARGE = {
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
    "usd": 50,
}

# An amount has at most eight digits, with these exceptions.
EIGHT_DIGITS = 99_999_999
MAXIMUM_AMOUNT_EXCEPTIONS = {"inr": 999_999_999, "idr": 999_999_999_999}


def is_supported(currency: str) -> bool:
    return currency.lower() in SUPPORTED_CURRENCIES


def exponent(currency: str) -> int:
    """Number of decimals in Stripe's amounts for the currency (INR 2, JPY 0)."""
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def minimum_charge(currency: str) -> int | None:
    """The smallest chargeable amount, or None where it depends on the exchange rate."""
    return MINIMUM_CHARGE.get(currency.lower())


def maximum_amount(currency: str) -> int:
    return MAXIMUM_AMOUNT_EXCEPTIONS.get(currency.lower(), EIGHT_DIGITS)
