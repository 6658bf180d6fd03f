"""Fixtures shared by the suite: the shop's products, admin users, the Stripe simulator."""

from __future__ import annotations

import pytest
from django.db import connection

from store.models import Product


def make_product(
    name: str, price: int, *, live: bool = True, sort_order: int = 0, **fields
) -> Product:
    slug = fields.pop("slug", name.lower().replace(" ", "-"))
    return Product.objects.create(
        name=name, slug=slug, price=price, live=live, sort_order=sort_order, **fields
    )


@pytest.fixture
def products(db) -> list[Product]:
    """The three sample products the data migration creates, in shop order."""
    return list(Product.objects.published())


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…); .ci/run does",
)
