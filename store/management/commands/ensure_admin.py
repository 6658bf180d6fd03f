"""Make sure an `admin` superuser exists, so `make run` always ends with a working login."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from mysite.settings.environment import env

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create the `admin` superuser if missing (password: DJANGO_ADMIN_PASSWORD or generated)."

    def handle(self, *args, **options):
        User = get_user_model()
        wanted = env.str("DJANGO_ADMIN_PASSWORD", default="")
        user = User.objects.filter(username=USERNAME).first()
        if user is None:
            password = wanted or secrets.token_urlsafe(12)
            User.objects.create_superuser(USERNAME, email="", password=password)
            shown = password if not wanted else "(from DJANGO_ADMIN_PASSWORD)"
            self.stdout.write(
                self.style.SUCCESS(f"Created the admin login: user {USERNAME}, password {shown}")
            )
            if not wanted:
                self.stdout.write(
                    "Keep it: it is shown only now. Set DJANGO_ADMIN_PASSWORD to choose one."
                )
        elif wanted and not user.check_password(wanted):
            user.set_password(wanted)
            user.save(update_fields=["password"])
            self.stdout.write(f"Updated the password of `{USERNAME}` from DJANGO_ADMIN_PASSWORD.")
        else:
            self.stdout.write(f"Admin login `{USERNAME}` exists; sign in at /admin/.")
