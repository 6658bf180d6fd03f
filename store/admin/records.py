"""Records staff look at but do not edit: Stripe's events, and locked-out sign-ins."""

from __future__ import annotations

from axes.models import AccessAttempt
from wagtail.admin.ui.tables import Column, DateColumn

from store.admin.read_only import ReadOnlyModelViewSet
from store.models import WebhookEvent


class WebhookEventViewSet(ReadOnlyModelViewSet):
    """Kept visible so staff can see an event Stripe keeps retrying, and why."""

    model = WebhookEvent
    name = "stripe-events"
    icon = "resubmit"
    menu_label = "Stripe events"
    add_to_settings_menu = True
    list_display = [
        Column("type", label="Type"),
        Column("object_id", label="Object"),
        Column("outcome", label="Outcome"),
        Column("attempts", label="Attempts"),
        DateColumn("received_at", label="Received"),
    ]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id", "object_id", "error"]
    ordering = ["-received_at"]


class LockedSignInViewSet(ReadOnlyModelViewSet):
    """django-axes' record of failed sign-ins: deleting one lifts its lockout."""

    WRITE_VIEWS = frozenset({"add", "edit", "copy"})

    model = AccessAttempt
    name = "locked-sign-ins"
    icon = "lock"
    menu_label = "Locked sign-ins"
    add_to_settings_menu = True
    inspect_view_enabled = False
    list_display = [
        Column("username", label="Username"),
        Column("ip_address", label="Address"),
        Column("failures_since_start", label="Failures"),
        DateColumn("attempt_time", label="Last attempt"),
    ]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
