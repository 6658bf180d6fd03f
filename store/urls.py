from django.urls import path

from store import order_pages, telemetry, views

app_name = "store"

urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="success"),
    path("checkout/cancel/<uuid:public_id>/", views.checkout_cancel, name="cancel"),
    path("stripe/webhook/", telemetry.observe_webhook(views.stripe_webhook), name="stripe_webhook"),
    path("orders/find/", order_pages.find, name="find_order"),
    path("orders/<uuid:public_id>/invoice/", views.MyOrderDocument.as_view(), name="order_invoice"),
    path(
        "orders/<uuid:public_id>/credit-notes/<int:credit_note>/",
        views.MyOrderDocument.as_view(),
        name="order_credit_note",
    ),
    # A signed link (store.order_links), never a UUID: the browser-token routes above win.
    path("orders/<str:token>/", order_pages.order_status, name="order_status"),
    path(
        "orders/<str:token>/invoice/",
        order_pages.LinkedOrderDocument.as_view(),
        name="linked_order_invoice",
    ),
    path(
        "orders/<str:token>/credit-notes/<int:credit_note>/",
        order_pages.LinkedOrderDocument.as_view(),
        name="linked_order_credit_note",
    ),
]
