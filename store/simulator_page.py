"""The offline Stripe simulator's hosted checkout page (see ``store.simulator``).

Kept apart from the HTTP server so the markup can be read as a page. It stands
in for checkout.stripe.com in the no-keys demo, so it is a complete, accessible
page in its own right: a shopper must be able to tell what they are paying for,
which card numbers work, and what went wrong. Every value is HTML-escaped:
product names come from editors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from store.money import format_amount

# The test cards the page offers; they follow Stripe's documented test numbers.
SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
PREFILLED_CARD = "4242 4242 4242 4242"  # the demo pays with one click; type 4000... to decline

TEST_CARDS_NOTE = "Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
DECLINED_MESSAGE = "Your card was declined. Try another card."
UNKNOWN_CARD_MESSAGE = "Use a test card: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
SIMULATOR_NOTE = (
    "Offline Stripe simulator: no real payment is made and no card data leaves this machine."
)
PAGE_TITLE_SUFFIX = "Offline Stripe simulator"

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
table{width:100%;border-collapse:collapse;background:#fff;margin:0 0 1.5rem}
caption{text-align:left;font-weight:600;padding:0 0 .5rem}
th,td{padding:.5rem;border-bottom:1px solid #d5dbe1;text-align:left;vertical-align:top}
.num{text-align:right;white-space:nowrap}
.unit{display:block;font-size:.875rem;color:#4f566b}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
label{display:block;font-weight:600;margin:0 0 .25rem}
input{width:100%;font:inherit;padding:.625rem .75rem;border:1px solid #6b7385;border-radius:.375rem}
.hint{font-size:.875rem;color:#4f566b;margin:.25rem 0 1rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}
.button{display:inline-block;font:inherit;font-weight:600;padding:.625rem 1.25rem;
border:2px solid #0a2540;border-radius:.375rem;cursor:pointer;text-decoration:none}
.primary{background:#0a2540;color:#fff}
.secondary{background:#fff;color:#0a2540}
:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
"""


@dataclass(frozen=True)
class Line:
    """One line of a Checkout Session, as the shop sent it in ``price_data``."""

    name: str
    quantity: int
    unit_amount: int
    currency: str

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


def checkout_page(
    session: Mapping, lines: Sequence[Line], *, card: str = "", message: str | None = None
) -> str:
    """The open session: lines, total, card field, Pay and Cancel.

    ``message`` is shown as an alert (declined or unknown card) and the card
    field is marked invalid and keeps what the shopper typed.
    """
    total = format_amount(session["amount_total"], session["currency"])
    alert = ""
    if message:
        alert = f'<p class="alert" role="alert" id="card-error">{escape(message)}</p>'
    described_by = "card-error cards" if message else "cards"
    invalid = ' aria-invalid="true"' if message else ""
    body = f"""
<h1>Pay {escape(total)}</h1>
{_lines_table(lines, total)}
{alert}
<form method="post" action="/pay/{escape(session["id"])}">
  <label for="card">Card number</label>
  <input id="card" name="card" type="text" inputmode="numeric" autocomplete="cc-number"
    required value="{escape(card)}" aria-describedby="{described_by}"{invalid}>
  <p class="hint" id="cards">{escape(TEST_CARDS_NOTE)}</p>
  <div class="actions">
    <button class="button primary" type="submit" name="action" value="pay"
      >Pay {escape(total)}</button>
    <button class="button secondary" type="submit" name="action" value="cancel"
      formnovalidate>Cancel</button>
  </div>
</form>"""
    return _page(f"Pay {total}", body)


def closed_page(session: Mapping, back_url: str) -> str:
    """An expired or already paid session: say so, offer only the way back."""
    if session["status"] == "complete":
        heading, text, link = (
            "This checkout session is already paid",
            "Nothing more to pay: your payment went through.",
            "Continue to the shop",
        )
    else:
        heading, text, link = (
            "This checkout session has expired",
            "Nothing was charged. Go back to the shop and check out again.",
            "Back to the shop",
        )
    body = f"""
<h1>{escape(heading)}</h1>
<p>{escape(text)}</p>
<p><a class="button secondary" href="{escape(back_url)}">{escape(link)}</a></p>"""
    return _page(heading, body)


def not_found_page() -> str:
    """An unknown session id (or any other path on the simulator)."""
    body = """
<h1>Checkout session not found</h1>
<p>This payment link is not known to the simulator. It may have been restarted:
go back to the shop and check out again.</p>"""
    return _page("Checkout session not found", body)


def _lines_table(lines: Sequence[Line], total: str) -> str:
    rows = "".join(_line_row(line) for line in lines)
    return f"""<table>
  <caption>Your order</caption>
  <thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>
    <th scope="col" class="num">Amount</th></tr></thead>
  <tbody>{rows}
  </tbody>
  <tfoot><tr><th scope="row" colspan="2">Total</th><td class="num">{escape(total)}</td></tr></tfoot>
</table>"""


def _line_row(line: Line) -> str:
    unit_price = format_amount(line.unit_amount, line.currency)
    amount = format_amount(line.amount, line.currency)
    return f"""
    <tr><td>{escape(line.name)}<span class="unit">{escape(unit_price)} each</span></td>
      <td class="num">{line.quantity}</td>
      <td class="num">{escape(amount)}</td></tr>"""


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · {PAGE_TITLE_SUFFIX}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<p class="notice">{escape(SIMULATOR_NOTE)}</p>
{body}
</main>
</body>
</html>
"""
