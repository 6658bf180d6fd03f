"""``manage.py prune_old_data``: forget what the shop no longer needs (store.retention).

Run it from the same scheduler as ``sync_orders`` (daily is enough). It prints one line, e.g.
``pruned 812 finished tasks, 40 Stripe events, 3 expired sessions, 9 unpaid orders, 0 exports,
0 silent workers' heartbeats``.
"""

from django.core.management.base import BaseCommand

from store import retention


class Command(BaseCommand):
    help = (
        "Delete finished tasks, old Stripe events (not those of open orders), expired "
        "sessions, unpaid orders long ended and old exports, in batches. Paid orders stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would go")

    def handle(self, *args, dry_run: bool, **options):
        pruned = retention.prune(dry_run=dry_run)
        self.stdout.write(f"{'would prune' if dry_run else 'pruned'} {pruned}")
