"""Admin views that only look: the payment flow writes these rows, people do not."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy


class LimitedPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions, but only for ``allowed_actions``: the rest nobody may do."""

    def __init__(self, model, allowed_actions: frozenset[str]):
        super().__init__(model)
        self.allowed_actions = allowed_actions

    def user_has_permission(self, user, action):
        return action in self.allowed_actions and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action in self.allowed_actions]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


class ReadOnlyModelViewSet(ModelViewSet):
    """Listing and inspect views only: the add, edit and delete URLs do not exist (404).

    The permission policy refuses those actions too, so no button offers them.
    """

    WRITE_VIEWS = frozenset({"add", "edit", "delete", "copy"})

    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields: list[str] = []  # never rendered: there is no add or edit view
    search_backend_name = None  # ORM search: no index to keep up to date

    def get_urlpatterns(self):
        return [url for url in super().get_urlpatterns() if url.name not in self.WRITE_VIEWS]
