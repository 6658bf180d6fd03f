"""Years of trading, written straight into PostgreSQL: N orders with 1–3 lines each over three
years, their Stripe events and some refunds, in a few INSERT … SELECT statements.

Each column's value comes from a hash of the order's number, so a load is the
same every time and needs no Python per row. Columns this loader does not know
(added by later migrations) get their field's default, so a new NOT NULL field
with a default does not break it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Field

from store.models import Order, OrderLine, Product, Refund, WebhookEvent

YEARS = 3
FIRST_NAMES = [
    "Aarav", "Aditi", "Ananya", "Arjun", "Asha", "Deepa", "Dev", "Divya", "Farah", "Gaurav",
    "Ishaan", "Jaya", "Kabir", "Kavya", "Lakshmi", "Manoj", "Meera", "Neha", "Nikhil", "Pooja",
    "Priya", "Rahul", "Ravi", "Riya", "Rohan", "Sanjay", "Sara", "Shreya", "Sunil", "Tara",
    "Uma", "Varun", "Vikram", "Zoya", "Anil", "Bina", "Chetan", "Esha", "Harsh", "Irfan",
]  # fmt: skip
LAST_NAMES = [
    "Sharma", "Verma", "Iyer", "Rao", "Reddy", "Nair", "Menon", "Patel", "Shah", "Mehta",
    "Gupta", "Singh", "Kumar", "Das", "Bose", "Sen", "Khan", "Joshi", "Kulkarni", "Pillai",
    "Chopra", "Malhotra", "Kapoor", "Banerjee", "Mukherjee", "Agarwal", "Bhat", "Hegde",
    "Naidu", "Thomas",
]  # fmt: skip
CITIES = ["Bengaluru", "Mumbai", "Delhi", "Chennai", "Hyderabad", "Pune", "Kolkata", "Kochi"]
DOMAINS = ["gmail.com", "yahoo.co.in", "outlook.com", "example.in", "rediffmail.com"]


def _h(salt: str) -> str:
    """A non-negative pseudo-random integer per order number ``g``, independent per salt."""
    return f"abs(hashtext(g::text || '{salt}'))"


def _pick(values: list[str], salt: str) -> str:
    array = "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"
    return f"({array})[1 + {_h(salt)} % {len(values)}]"


# The 1-based product of line k of order g, and its quantity; the order's total is their sum.
_LINE_COUNT = f"(1 + {_h('lines')} % 3)"
_LINE_PRODUCT = "(1 + abs(hashtext(g::text || ':' || k::text)) % 3)"
_LINE_QUANTITY = "(1 + abs(hashtext(k::text || ':' || g::text)) % 3)"

# Status by a per-order draw out of 1000: mostly paid, as a shop's history is.
_STATUS = f"""CASE
    WHEN {_h("status")} % 1000 < 880 THEN 'paid'
    WHEN {_h("status")} % 1000 < 930 THEN 'expired'
    WHEN {_h("status")} % 1000 < 960 THEN 'cancelled'
    WHEN {_h("status")} % 1000 < 985 THEN 'failed'
    ELSE 'pending' END"""


@dataclass(frozen=True)
class Loaded:
    orders: int
    lines: int
    events: int
    refunds: int


def load(total: int) -> Loaded:
    """Empty the order tables, then write ``total`` orders and what goes with them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE store_order, store_orderline, store_webhookevent, store_refund, "
            "store_orderemail RESTART IDENTITY CASCADE"
        )
        _insert_orders(cursor, total)
        _insert_lines(cursor, total)
        _insert_refunds(cursor)
        _insert_events(cursor)
        for table in ("store_order", "store_orderline", "store_refund", "store_webhookevent"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        counts = []
        for model in (Order, OrderLine, WebhookEvent, Refund):
            cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")
            counts.append(cursor.fetchone()[0])
    # Fresh statistics and visibility maps, as autovacuum keeps them on a live database.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) store_order, store_orderline, store_webhookevent")
        cursor.execute("VACUUM (ANALYZE) store_refund")
    return Loaded(*counts)


def _insert_orders(cursor, total: int) -> None:
    prices = {p.name: (p.pk, p.price) for p in Product.objects.all()}
    if len(prices) < 3:
        raise RuntimeError("The sample products are missing: migrate first.")
    price_array = "ARRAY[" + ", ".join(str(price) for _, price in list(prices.values())[:3]) + "]"
    created = (
        f"(now() - interval '{YEARS} years' + (g - 1) * (interval '{YEARS} years' / {total})"
        f" + ({_h('jitter')} % 60) * interval '1 second')"
    )
    paid = "(status = 'paid')"
    first, last = _pick(FIRST_NAMES, "first"), _pick(LAST_NAMES, "last")
    known = {
        "id": "g",
        "public_id": "gen_random_uuid()",
        "status": "status",
        "currency": "'inr'",
        "amount_total": (
            f"(SELECT sum(({price_array})[{_LINE_PRODUCT}] * {_LINE_QUANTITY}) "
            f"FROM generate_series(1, {_LINE_COUNT}) AS k)"
        ),
        "browser_token": "md5(g::text || 'browser')",
        "checkout_key": "NULL",
        "stripe_session_id": "'cs_test_' || md5(g::text || 's') || md5(g::text || 't')",
        "checkout_url": "'https://checkout.stripe.com/c/pay/cs_test_' || md5(g::text || 's')",
        "stripe_payment_intent_id": (
            f"CASE WHEN {paid} THEN 'pi_' || substr(md5(g::text || 'pi'), 1, 24) ELSE '' END"
        ),
        "customer_email": (
            f"CASE WHEN {paid} OR status = 'failed' THEN lower({first}) || '.' || lower({last})"
            f" || ({_h('mail')} % 500)::text || '@' || {_pick(DOMAINS, 'domain')} ELSE '' END"
        ),
        "customer_name": f"CASE WHEN {paid} THEN {first} || ' ' || {last} ELSE '' END",
        "customer_phone": (
            f"CASE WHEN {paid} THEN '+91 9' || lpad(({_h('phone')} % 1000000000)::text, 9, '0')"
            " ELSE '' END"
        ),
        "shipping_name": f"CASE WHEN {paid} THEN {first} || ' ' || {last} ELSE '' END",
        "shipping_line1": (
            f"CASE WHEN {paid} THEN (1 + {_h('house')} % 400)::text || ' MG Road' ELSE '' END"
        ),
        "shipping_line2": "''",
        "shipping_city": f"CASE WHEN {paid} THEN {_pick(CITIES, 'city')} ELSE '' END",
        "shipping_postal_code": (
            f"CASE WHEN {paid} THEN (560001 + {_h('pin')} % 90000)::text ELSE '' END"
        ),
        "shipping_state": f"CASE WHEN {paid} THEN 'KA' ELSE '' END",
        "shipping_country": f"CASE WHEN {paid} THEN 'IN' ELSE '' END",
        # Older paid orders were delivered; the last days' are still on their way or waiting.
        "fulfilment": f"""CASE WHEN NOT {paid} THEN 'unfulfilled'
            WHEN created_at < now() - interval '14 days' THEN 'delivered'
            WHEN created_at < now() - interval '3 days' THEN 'shipped'
            ELSE 'unfulfilled' END""",
        "carrier": f"CASE WHEN {paid} AND created_at < now() - interval '3 days' "
        "THEN 'BlueDart' ELSE '' END",
        "tracking_number": f"CASE WHEN {paid} AND created_at < now() - interval '3 days' "
        "THEN 'BD' || (100000000 + g)::text ELSE '' END",
        "shipped_at": f"CASE WHEN {paid} AND created_at < now() - interval '3 days' "
        "THEN created_at + interval '1 day' END",
        "delivered_at": f"CASE WHEN {paid} AND created_at < now() - interval '14 days' "
        "THEN created_at + interval '4 days' END",
        "amount_refunded": "0",
        "failure_reason": "CASE WHEN status = 'failed' "
        "THEN 'The payment failed: the bank declined it' ELSE '' END",
        "needs_attention": f"({_h('attention')} % 1000 = 0)",
        "attention_reason": f"CASE WHEN {_h('attention')} % 1000 = 0 "
        "THEN 'Paid after it was expired. Refund it, or fulfil it as a normal order.' ELSE '' END",
        "cancel_requested_at": "NULL",
        "checkout_expires_at": "created_at + interval '1 hour'",
        "payment_processing": "false",
        "created_at": "created_at",
        "updated_at": "created_at",
        "paid_at": f"CASE WHEN {paid} THEN created_at + ({_h('paid')} % 600) * interval '1 second'"
        " END",
    }
    # No shipping or codes in the generated years: the subtotal is the total.
    known["amount_subtotal"] = known["amount_total"]
    columns, expressions, params = _columns(Order, known)
    _execute(
        cursor,
        f"INSERT INTO store_order ({columns}) SELECT {expressions} FROM ("
        f"  SELECT g, {_STATUS} AS status, {created} AS created_at"
        f"  FROM generate_series(1, {int(total)}) AS g"
        ") AS generated",
        params,
    )


def _insert_lines(cursor, total: int) -> None:
    products = list(Product.objects.order_by("pk")[:3])
    ids = "ARRAY[" + ", ".join(str(p.pk) for p in products) + "]"
    names = "ARRAY[" + ", ".join("'" + p.name.replace("'", "''") + "'" for p in products) + "]"
    prices = "ARRAY[" + ", ".join(str(p.price) for p in products) + "]"
    known = {
        "order_id": "g",
        "product_id": f"({ids})[{_LINE_PRODUCT}]",
        "product_name": f"({names})[{_LINE_PRODUCT}]",
        "unit_amount": f"({prices})[{_LINE_PRODUCT}]",
        "quantity": _LINE_QUANTITY,
    }
    columns, expressions, params = _columns(OrderLine, known)
    _execute(
        cursor,
        f"INSERT INTO store_orderline ({columns}) SELECT {expressions} "
        f"FROM generate_series(1, {int(total)}) AS g "
        f"CROSS JOIN LATERAL generate_series(1, {_LINE_COUNT}) AS k",
        params,
    )


def _insert_refunds(cursor) -> None:
    """One paid order in thirty-three was refunded, in full or in part."""
    cursor.execute(
        "UPDATE store_order SET amount_refunded = CASE WHEN id % 2 = 0 THEN amount_total "
        "ELSE amount_total / 2 END WHERE status = 'paid' AND id % 33 = 0"
    )
    known = {
        "order_id": "o.id",
        "public_id": "gen_random_uuid()",
        "stripe_refund_id": "'re_' || substr(md5(o.id::text || 're'), 1, 24)",
        "amount": "o.amount_refunded",
        "currency": "o.currency",
        "reason": "'requested_by_customer'",
        "status": "'succeeded'",
        "failure_reason": "''",
        "created_by_id": "NULL",
        "form_token": "NULL",
        "created_at": "o.paid_at + interval '5 days'",
        "updated_at": "o.paid_at + interval '5 days'",
    }
    columns, expressions, params = _columns(Refund, known)
    _execute(
        cursor,
        f"INSERT INTO store_refund ({columns}) SELECT {expressions} "
        "FROM store_order AS o WHERE o.amount_refunded > 0",
        params,
    )


def _insert_events(cursor) -> None:
    """What Stripe sent: the session's end, a PaymentIntent event the shop ignores, refunds."""
    known = {
        "event_id": "'evt_' || md5(e.order_id::text || e.type)",
        "type": "e.type",
        "object_id": "e.object_id",
        "received_at": "e.at",
        "processed_at": "e.at",
        "outcome": "e.outcome",
        "attempts": "1",
        "error": "''",
    }
    columns, expressions, params = _columns(WebhookEvent, known)
    events = """
        SELECT id AS order_id, 'checkout.session.completed' AS type,
               stripe_session_id AS object_id, paid_at AS at, 'paid' AS outcome
          FROM store_order WHERE status = 'paid'
        UNION ALL
        SELECT id, 'payment_intent.succeeded', stripe_payment_intent_id, paid_at, 'ignored'
          FROM store_order WHERE status = 'paid'
        UNION ALL
        SELECT id, 'checkout.session.expired', stripe_session_id,
               created_at + interval '1 hour', 'expired'
          FROM store_order WHERE status = 'expired'
        UNION ALL
        SELECT id, 'checkout.session.async_payment_failed', stripe_session_id,
               created_at + interval '2 days', 'failed'
          FROM store_order WHERE status = 'failed'
        UNION ALL
        SELECT order_id, 'charge.refunded', stripe_refund_id, created_at, 'refund_recorded'
          FROM store_refund
    """
    _execute(
        cursor,
        f"INSERT INTO store_webhookevent ({columns}) SELECT {expressions} FROM ({events}) AS e",
        params,
    )


# Where _columns puts a parameter; _execute turns it into %s once the SQL's own % are escaped.
PARAMETER = "\x00"


def _execute(cursor, sql: str, params: list) -> None:
    cursor.execute(sql.replace("%", "%%").replace(PARAMETER, "%s"), params)


def _columns(model, known: dict[str, str]) -> tuple[str, str, list]:
    """The INSERT's column list and SELECT list: ``known`` expressions, else each field's
    default as a parameter (NULL where the field allows it)."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.name in known or field.attname in known:
            expressions.append(known.get(field.attname) or known[field.name])
            continue
        if field.primary_key:
            columns.pop()
            continue
        expressions.append(PARAMETER)
        params.append(_default(field))
    return ", ".join(columns), ", ".join(expressions), params


def _default(field: Field):
    if field.has_default():
        return field.get_db_prep_save(field.get_default(), connection)
    if field.null:
        return None
    if field.blank and field.get_internal_type() in ("CharField", "TextField"):
        return ""
    raise RuntimeError(f"The scale bench does not know what to put in {field} (no default).")
