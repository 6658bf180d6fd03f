"""``manage.py stripe_simulator``: the simulator, with the webhook secret from the settings."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stripe_simulator import cli
from stripe_simulator.money import DEFAULT_LOCALE


class Command(BaseCommand):
    help = cli.DESCRIPTION

    def add_arguments(self, parser):
        cli.add_arguments(
            parser,
            default_webhook_secret=getattr(settings, "STRIPE_WEBHOOK_SECRET", ""),
            default_locale=getattr(settings, "STORE_LOCALE", DEFAULT_LOCALE),
        )

    def handle(self, *args, **options):
        names = (
            "host",
            "port",
            "webhook_url",
            "webhook_secret",
            "delayed_payment_seconds",
            "locale",
        )
        try:
            cli.serve(**{name: options[name] for name in names}, write=self.stdout.write)
        except cli.CannotListen as error:
            raise CommandError(str(error)) from error
