"""Records staff look at but do not edit: Stripe's events, and locked-out sign-ins."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import ngettext
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import DeleteView, IndexView
from wagtail.admin.widgets import ListingButton

from mysite.client_ip import IPV6_CLIENT_PREFIX
from store.admin.large_listings import LargeListingMixin
from store.admin.read_only import ReadOnlyModelViewSet
from store.models import WebhookEvent
from store.templatetags.store_format import local_datetime

logger = logging.getLogger(__name__)

# An event's id, or the id of the object it is about: searched exactly (unique indexes).
EVENT_OR_OBJECT_ID = re.compile(r"(evt|cs|pi|ch|re|py|dp|du|issfr)_[A-Za-z0-9_]+")


class WebhookEventIndexView(LargeListingMixin, IndexView):
    """Newest first, with bounded counts; searched by exact ids, or by words in an error."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        text = self.search_query.strip()
        if EVENT_OR_OBJECT_ID.fullmatch(text):
            return queryset.filter(Q(event_id=text) | Q(object_id=text))
        # Only failed events have an error: a small partial trigram index on PostgreSQL.
        return queryset.exclude(error="").filter(error__icontains=text)

    def order_queryset(self, queryset):
        return queryset.order_by("-received_at", "-pk")


class WebhookEventViewSet(ReadOnlyModelViewSet):
    """Kept visible so staff can see an event Stripe keeps retrying, and why."""

    model = WebhookEvent
    index_view_class = WebhookEventIndexView
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


def lock_ends_at(attempt: AccessAttempt) -> datetime | None:
    """When the lock on this attempt's (username, address) pair lifts; None if it is not locked.

    django-axes counts the pair's failures (one row per browser) within the cool-off.
    """
    if attempt.pair_failures < settings.AXES_FAILURE_LIMIT:
        return None
    ends = attempt.pair_last_failure + settings.AXES_COOLOFF_TIME
    return ends if ends > timezone.now() else None


def network(attempt: AccessAttempt) -> str:
    """The address as counted: an IPv6 client's whole /64 (``mysite.client_ip``)."""
    address = attempt.ip_address or ""
    return f"{address}/{IPV6_CLIENT_PREFIX}" if ":" in address else address


def describe_lock(attempt: AccessAttempt) -> str:
    ends = lock_ends_at(attempt)
    if ends:
        return f"Locked until {local_datetime(ends)}"
    return ngettext(
        "Not locked (%(count)s failure)", "Not locked (%(count)s failures)", attempt.pair_failures
    ) % {"count": attempt.pair_failures}


class LockedSignInIndexView(IndexView):
    """Each failed sign-in with whether its pair is locked now, and an "Unlock" button."""

    def get_base_queryset(self):
        same_pair = AccessAttempt.objects.filter(
            username=OuterRef("username"),
            ip_address=OuterRef("ip_address"),
            attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        ).values("username", "ip_address")
        return (
            super()
            .get_base_queryset()
            .annotate(
                pair_failures=Coalesce(
                    Subquery(same_pair.annotate(total=Sum("failures_since_start")).values("total")),
                    0,
                ),
                pair_last_failure=Subquery(
                    same_pair.annotate(last=Max("attempt_time")).values("last")
                ),
            )
        )

    def get_list_more_buttons(self, instance):
        unlock_url = self.get_delete_url(instance)  # None without the permission
        if not unlock_url:
            return []
        return [
            ListingButton(
                "Unlock",
                url=unlock_url,
                icon_name="lock-open",
                attrs={"aria-label": f"Unlock {instance.username} from {network(instance)}"},
            )
        ]


class UnlockSignInView(DeleteView):
    """Forgets the failures of the row's (username, address) pair, which lifts its lock.

    Who did it goes to the log (and to Wagtail's history of the deleted row).
    """

    page_title = "Unlock sign-in"
    template_name = "store/admin/unlock_sign_in.html"

    @cached_property
    def pair(self):
        return AccessAttempt.objects.filter(
            username=self.object.username, ip_address=self.object.ip_address
        )

    @cached_property
    def failures(self) -> int:
        return self.pair.aggregate(total=Sum("failures_since_start", default=0))["total"]

    def get_page_subtitle(self):
        return f"{self.object.username} from {network(self.object)}"

    @property
    def confirmation_message(self):
        return (
            f"Forget {self.failures} failed sign-in attempts as '{self.object.username}' "
            f"from {network(self.object)}? Signing in from there is then allowed again."
        )

    def get_success_message(self):
        return f"Signing in as '{self.object.username}' from {network(self.object)} is unlocked."

    def delete_action(self):
        username, address, failures = self.object.username, self.object.ip_address, self.failures
        super().delete_action()
        self.pair.delete()  # the same pair's rows for other browsers
        logger.warning(
            "Sign-in unlocked by staff",
            extra={
                "username": username,
                "client_address": address,
                "failures": failures,
                "unlocked_by": self.request.user.get_username(),
            },
        )


class LockedSignInViewSet(ReadOnlyModelViewSet):
    """django-axes' record of failed sign-ins: "Unlock" (deleting one) lifts its lockout."""

    WRITE_VIEWS = frozenset({"add", "edit", "copy"})
    index_view_class = LockedSignInIndexView
    delete_view_class = UnlockSignInView

    model = AccessAttempt
    name = "locked-sign-ins"
    icon = "lock"
    menu_label = "Locked sign-ins"
    add_to_settings_menu = True
    inspect_view_enabled = False
    list_display = [
        "username",  # the title column: its row's "Unlock" button
        Column("ip_address", label="Address", accessor=network),
        Column("failures_since_start", label="Failures"),
        DateColumn("attempt_time", label="Last attempt"),
        Column("lock", label="Lock", accessor=describe_lock),
    ]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
