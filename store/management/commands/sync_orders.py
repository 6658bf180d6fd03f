"""Settle pending orders from Stripe's side: heals missed webhooks and abandoned checkouts."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from store import payments
from store.payments.discount_sync import sync_discount_codes


class Command(BaseCommand):
    help = (
        "Expire, without asking Stripe, pending orders whose Checkout Session is certainly "
        "over (ended days ago, no sign of a payment). Then re-read the Checkout Session of "
        "every other pending order older than --older-than minutes: paid -> paid, expired -> "
        "expired, open past its expiry -> expired at Stripe and here; with --time-budget, "
        "stop in time and go on from there next run. Then settle refunds awaiting Stripe's "
        "answer, read the account's refunds of the last week, and bring discount codes Stripe "
        "is behind on in step (not yet there, a start date reached)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=10,
            metavar="MINUTES",
            help="Only orders created at least this many minutes ago (default 10).",
        )
        parser.add_argument(
            "--time-budget",
            type=float,
            metavar="SECONDS",
            help="Stop asking Stripe about orders after this long (a call under way ends "
            "first); the next run goes on where this one stopped. Default: no limit.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args, older_than: int, time_budget: float | None, dry_run: bool, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more minutes.")
        if time_budget is not None and not time_budget > 0:
            raise CommandError("--time-budget must be more than 0 seconds.")
        report = payments.reconcile_pending(
            timedelta(minutes=older_than), dry_run=dry_run, time_budget=time_budget
        )
        prefix = "[dry run: nothing changed] " if dry_run else ""
        self.stdout.write(f"{prefix}{report}")
        problems = []
        if report.errors:
            problems.append(f"{report.errors} orders could not be checked; see the log.")
        if not dry_run:
            problems += self._reconcile_refunds()
            problems += self._sync_discount_codes()
        if problems:
            raise CommandError(" ".join(problems))

    def _reconcile_refunds(self) -> list[str]:
        """Refunds awaiting Stripe's answer or made lately, as Stripe has them; what failed."""
        try:
            checked, changed = payments.reconcile_refunds()
        except payments.PaymentError as error:
            return [f"Refunds could not be checked: {error}"]
        if checked:
            self.stdout.write(f"checked the refunds of {checked} orders: {changed} updated")
        return []

    def _sync_discount_codes(self) -> list[str]:
        synced, failed = sync_discount_codes()
        if synced:
            self.stdout.write(f"brought {synced} discount codes in step with Stripe")
        if failed:
            return [f"{failed} discount codes are not in step with Stripe; see the log."]
        return []
