from django.urls import path

from store import telemetry, views

app_name = "store"

urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="success"),
    path("checkout/cancel/<uuid:public_id>/", views.checkout_cancel, name="cancel"),
    path("stripe/webhook/", telemetry.observe_webhook(views.stripe_webhook), name="stripe_webhook"),
    path("orders/<uuid:public_id>/invoice/", views.MyOrderDocument.as_view(), name="order_invoice"),
    path(
        "orders/<uuid:public_id>/credit-notes/<int:credit_note>/",
        views.MyOrderDocument.as_view(),
        name="order_credit_note",
    ),
]
