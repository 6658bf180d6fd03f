"""Prove the backups restore: the database into a scratch one, the photos into a backup bucket."""

from django.core.management.base import BaseCommand, CommandError

from store.restore_drill import run_drill


class Command(BaseCommand):
    help = (
        "pg_dump the database, pg_restore it into <name>_restore_drill and compare the rows of "
        "every table; with --backup-bucket, copy the media bucket there and check every image "
        "and rendition. Exits non-zero if anything differs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backup-bucket", default="", help="An existing bucket to copy the photos into."
        )
        parser.add_argument(
            "--keep", action="store_true", help="Leave the scratch database for a closer look."
        )

    def handle(self, *args, backup_bucket: str, keep: bool, **options):
        try:
            report = run_drill(backup_bucket=backup_bucket, keep=keep)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        rows = sum(live for live, _ in report.tables.values())
        self.stdout.write(
            f"Database: {len(report.tables)} tables, {rows} rows restored and compared."
        )
        if backup_bucket:
            self.stdout.write(
                f"Photos: {report.objects_copied} objects copied to {backup_bucket}, "
                f"{report.files_checked} images and renditions checked."
            )
        if not report.passed:
            raise CommandError("The restore differs:\n" + "\n".join(report.problems))
        self.stdout.write("The restore drill passed.")
