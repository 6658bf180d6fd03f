"""Staff in Wagtail's admin, for the tests: signed-in clients and what the pages say."""

from __future__ import annotations

from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client


def staff_client(username: str, group: str) -> Client:
    """A signed-in staff member of one of the groups the migrations create."""
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def admin_messages(response) -> list[str]:
    """The messages Wagtail shows at the top of an admin page."""
    page = BeautifulSoup(response.content, "html.parser")
    return [message.text.strip() for message in page.select(".messages li")]
