"""The hosted checkout page's HTML: it stands in for checkout.stripe.com in the no-keys demo.

A complete, accessible page in its own right: a shopper must be able to tell
what they are paying for, which test numbers work, and what went wrong. No
scripts (the server sends a CSP that forbids them, as Stripe does). Every value
is HTML-escaped: product names come from editors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from stripe_simulator import page_offers
from stripe_simulator.money import display_amount
from stripe_simulator.page_offers import Offers
from stripe_simulator.payments import FAILING_ACCOUNT, ROUTING_NUMBER, SETTLING_ACCOUNT
from stripe_simulator.rules import Line

PREFILLED_CARD = "4242 4242 4242 4242"  # the demo pays with one click; type 4000... to decline
TEST_CARDS_NOTE = "Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
TEST_ACCOUNTS_NOTE = (
    f"Test accounts (routing number {ROUTING_NUMBER}): {SETTLING_ACCOUNT} settles later, "
    f"{FAILING_ACCOUNT} fails later (account closed). The order stays unpaid until then."
)
DECLINED_MESSAGE = "Your card was declined. Try another card."
UNKNOWN_CARD_MESSAGE = "Use a test card: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
UNKNOWN_ACCOUNT_MESSAGE = (
    f"Use a test account number: {SETTLING_ACCOUNT} settles, {FAILING_ACCOUNT} fails."
)
METHOD_NOT_OFFERED_MESSAGE = "This payment cannot be made by bank debit: pay by card."
DETAILS_MESSAGE = "Some details are missing or wrong:"
SIMULATOR_NOTE = (
    "Offline Stripe simulator: no real payment is made and no card data leaves this machine."
)
PAGE_TITLE_SUFFIX = "Offline Stripe simulator"
COUNTRY_NAMES = {
    "IN": "India",
    "US": "United States",
    "GB": "United Kingdom",
    "AE": "United Arab Emirates",
    "SG": "Singapore",
    "AU": "Australia",
    "CA": "Canada",
    "DE": "Germany",
    "FR": "France",
    "JP": "Japan",
}

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1a1f36;background:#f6f8fa}
main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.5rem;line-height:1.25;margin:1.25rem 0 1rem}
.notice{background:#fff4ce;border:1px solid #8a6d00;color:#3b2f00;padding:.75rem 1rem;
border-radius:.5rem;margin:0}
.alert{background:#fdecea;border:1px solid #b42318;color:#7a1010;padding:.75rem 1rem;
border-radius:.5rem;margin:0 0 1rem;font-weight:600}
.alert ul{margin:.25rem 0 0;padding-left:1.25rem;font-weight:400}
table{width:100%;border-collapse:collapse;background:#fff;margin:0 0 1.5rem}
caption{text-align:left;font-weight:600;padding:0 0 .5rem}
th,td{padding:.5rem;border-bottom:1px solid #d5dbe1;text-align:left;vertical-align:top}
.num{text-align:right;white-space:nowrap}
.unit{display:block;font-size:.875rem;color:#4f566b}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
tfoot tr:not(:last-child)>*{font-weight:400}
fieldset{border:1px solid #d5dbe1;border-radius:.5rem;background:#fff;margin:0 0 1.25rem;
padding:.75rem 1rem 1rem}
legend{font-weight:700;padding:0 .25rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select{width:100%;font:inherit;padding:.625rem .75rem;border:1px solid #6b7385;
border-radius:.375rem;background:#fff;color:inherit}
[aria-invalid=true]{border:2px solid #b42318}
.hint{font-size:.875rem;color:#4f566b;margin:.25rem 0 1rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}
.button{display:inline-block;font:inherit;font-weight:600;padding:.625rem 1.25rem;
border:2px solid #0a2540;border-radius:.375rem;cursor:pointer;text-decoration:none;
max-width:100%}
.primary{background:#0a2540;color:#fff}
.secondary{background:#fff;color:#0a2540}
:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
main.wide{max-width:60rem}
.choice{display:flex;gap:.5rem;align-items:baseline;margin:.5rem 0}
.choice input{width:auto;flex:none}
.choice label{margin:0;font-weight:400}
fieldset .actions{margin-top:.75rem}
"""


@dataclass(frozen=True)
class Field:
    """One input of the details form: its name is ShopperDetails' attribute."""

    name: str
    label: str
    autocomplete: str
    required: bool = True
    input_type: str = "text"


CONTACT_EMAIL = Field("email", "Email", "email", input_type="email")
CONTACT_PHONE = Field("phone", "Phone", "tel", input_type="tel")
ADDRESS = (
    Field("name", "Full name", "shipping name"),
    Field("line1", "Address line 1", "shipping address-line1"),
    Field("line2", "Address line 2 (optional)", "shipping address-line2", required=False),
    Field("city", "City", "shipping address-level2"),
    Field("postal_code", "PIN code", "shipping postal-code"),
    Field("state", "State (such as KA)", "shipping address-level1"),
)


@dataclass(frozen=True)
class Form:
    """What the page shows in its fields and what it says is wrong with them."""

    values: Mapping[str, str]
    problems: Mapping[str, str]
    message: str | None = None  # a payment error, shown beside ``message_field``
    message_field: str = "card"


def checkout_page(
    session: Mapping,
    lines: Sequence[Line],
    form: Form,
    *,
    countries: Sequence[str] | None,
    collects_phone: bool,
    locale: str,
    offers: Offers,
) -> str:
    """The open session: lines, totals, details, its delivery choices and promotion-code box,
    and the ways to pay it offers (a card now; a bank debit that settles later, in USD only)."""
    total = display_amount(session["amount_total"], session["currency"], locale)
    contact = [CONTACT_EMAIL, CONTACT_PHONE] if collects_phone else [CONTACT_EMAIL]
    shipping = ""
    if countries is not None:
        inputs = "".join(_input(field, form) for field in ADDRESS)
        shipping = (
            f"<fieldset><legend>Shipping address</legend>{inputs}"
            f"{_country_select(countries, form)}</fieldset>"
        )
    typed_code = form.values.get(page_offers.CODE_FIELD, "")
    refused_code = form.message is not None and form.message_field == page_offers.CODE_FIELD
    cancel = ""
    if session["cancel_url"]:
        cancel = (
            '<div class="actions"><button class="button secondary" type="submit" name="action"'
            ' value="cancel">Cancel</button></div>'
        )
    body = f"""
<h1>Pay {escape(total)}</h1>
{_lines_table(lines, total, locale, page_offers.totals_rows(session, offers, locale))}
{_alert(form)}
<form method="post" action="/pay/{escape(session["id"])}" novalidate>
<fieldset><legend>Contact</legend>{"".join(_input(field, form) for field in contact)}</fieldset>
{shipping}
{page_offers.delivery_fieldset(session, offers, locale)}
{page_offers.code_fieldset(session, offers, typed_code, refused_code, locale)}
<fieldset><legend>Pay by card</legend>
{_payment_input("card", "Card number", "cc-number", TEST_CARDS_NOTE, form)}
<div class="actions"><button class="button primary" type="submit" name="action" value="pay"
  >Pay {escape(total)}</button></div>
</fieldset>
{_bank_debit(form) if "us_bank_account" in session["payment_method_types"] else ""}
{cancel}
</form>"""
    return document(f"Pay {total}", body)


def _bank_debit(form: Form) -> str:
    return f"""<fieldset><legend>Or pay by bank debit (settles later)</legend>
{_payment_input("account", "US bank account number", "off", TEST_ACCOUNTS_NOTE, form)}
<div class="actions"><button class="button secondary" type="submit" name="action"
  value="pay_by_bank_debit">Debit my bank account</button></div>
</fieldset>"""


def _alert(form: Form) -> str:
    if form.problems:
        items = "".join(f"<li>{escape(problem)}</li>" for problem in form.problems.values())
        return (
            f'<div class="alert" role="alert" id="form-error">{escape(DETAILS_MESSAGE)}'
            f"<ul>{items}</ul></div>"
        )
    if form.message:
        return f'<p class="alert" role="alert" id="form-error">{escape(form.message)}</p>'
    return ""


def _input(field: Field, form: Form) -> str:
    invalid = field.name in form.problems
    return _labelled_input(
        field.name,
        field.label,
        form.values.get(field.name, ""),
        autocomplete=field.autocomplete,
        input_type=field.input_type,
        required=field.required,
        invalid=invalid,
        described_by="form-error" if invalid else "",
    )


def _payment_input(name: str, label: str, autocomplete: str, note: str, form: Form) -> str:
    invalid = form.message is not None and form.message_field == name
    described_by = f"form-error {name}-hint" if invalid else f"{name}-hint"
    field = _labelled_input(
        name,
        label,
        form.values.get(name, ""),
        autocomplete=autocomplete,
        input_type="text",
        required=False,
        invalid=invalid,
        described_by=described_by,
        inputmode="numeric",
    )
    return f'{field}<p class="hint" id="{name}-hint">{escape(note)}</p>'


def _labelled_input(
    name: str,
    label: str,
    value: str,
    *,
    autocomplete: str,
    input_type: str,
    required: bool,
    invalid: bool,
    described_by: str,
    inputmode: str = "",
) -> str:
    attributes = [
        f'id="{name}"',
        f'name="{name}"',
        f'type="{input_type}"',
        f'autocomplete="{autocomplete}"',
        f'value="{escape(value)}"',
    ]
    if inputmode:
        attributes.append(f'inputmode="{inputmode}"')
    if required:
        attributes.append("required")
    if invalid:
        attributes.append('aria-invalid="true"')
    if described_by:
        attributes.append(f'aria-describedby="{described_by}"')
    return f'<label for="{name}">{escape(label)}</label><input {" ".join(attributes)}>'


def _country_select(countries: Sequence[str], form: Form) -> str:
    chosen = form.values.get("country", "")
    options = "".join(
        f'<option value="{escape(code)}"{" selected" if code == chosen else ""}>'
        f"{escape(COUNTRY_NAMES.get(code, code))}</option>"
        for code in countries
    )
    invalid = ""
    if "country" in form.problems:
        invalid = ' aria-invalid="true" aria-describedby="form-error"'
    return (
        '<label for="country">Country</label>'
        f'<select id="country" name="country" autocomplete="shipping country" required'
        f"{invalid}>{options}</select>"
    )


@dataclass(frozen=True)
class Closed:
    heading: str
    text: str
    link: str


CLOSED = {
    "paid": Closed(
        "This checkout session is already paid",
        "Nothing more to pay: your payment went through.",
        "Continue to the shop",
    ),
    "no_payment_required": Closed(
        "This checkout session is complete",
        "Nothing to pay: a discount covered the whole amount.",
        "Continue to the shop",
    ),
    "processing": Closed(
        "Your bank debit is processing",
        "It settles in a few days; the shop tells you when it does.",
        "Continue to the shop",
    ),
    "failed": Closed(
        "Your bank debit failed",
        "Nothing was charged. Go back to the shop and check out again.",
        "Back to the shop",
    ),
    "expired": Closed(
        "This checkout session has expired",
        "Nothing was charged. Go back to the shop and check out again.",
        "Back to the shop",
    ),
}


def closed_page(kind: str, back_url: str | None) -> str:
    """A session that can no longer be paid (``kind``: a key of CLOSED); offer the way back."""
    closed = CLOSED[kind]
    link = ""
    if back_url:
        link = (
            f'<p><a class="button secondary" href="{escape(back_url)}">'
            f"{escape(closed.link)}</a></p>"
        )
    body = f"""
<h1>{escape(closed.heading)}</h1>
<p>{escape(closed.text)}</p>
{link}"""
    return document(closed.heading, body)


def not_found_page() -> str:
    """An unknown session id (or any other path on the simulator)."""
    body = """
<h1>Checkout session not found</h1>
<p>This payment link is not known to the simulator. It may have been restarted:
go back to the shop and check out again.</p>"""
    return document("Checkout session not found", body)


def _lines_table(lines: Sequence[Line], total: str, locale: str, totals_rows: str = "") -> str:
    rows = "".join(_line_row(line, locale) for line in lines)
    return f"""<table>
  <caption>Your order</caption>
  <thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>
    <th scope="col" class="num">Amount</th></tr></thead>
  <tbody>{rows}
  </tbody>
  <tfoot>{totals_rows}
    <tr><th scope="row" colspan="2">Total</th><td class="num">{escape(total)}</td></tr></tfoot>
</table>"""


def _line_row(line: Line, locale: str) -> str:
    unit_price = display_amount(line.unit_amount, line.currency, locale)
    amount = display_amount(line.amount, line.currency, locale)
    return f"""
    <tr><td>{escape(line.name)}<span class="unit">{escape(unit_price)} each</span></td>
      <td class="num">{line.quantity}</td>
      <td class="num">{escape(amount)}</td></tr>"""


def document(title: str, body: str, *, wide: bool = False) -> str:
    """A complete page of the simulator's: language, title, the offline notice, then ``body``."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · {PAGE_TITLE_SUFFIX}</title>
<style>{STYLE}</style>
</head>
<body>
<main{' class="wide"' if wide else ""}>
<p class="notice">{escape(SIMULATOR_NOTE)}</p>
{body}
</main>
</body>
</html>
"""
