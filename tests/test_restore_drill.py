"""The restore drill docs/OPERATIONS.md describes, run on the test database and bucket."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from tests.conftest import requires_postgres
from tests.s3_server import BUCKET

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
BACKUP = "shop-media-backup"


@pytest.fixture
def photo(s3_media, products):
    image = get_image_model().objects.create(title="Cap", file=get_test_image_file())
    products[2].image = image
    products[2].save()
    return image.get_rendition("fill-480x360")


def test_the_database_restores_and_every_photo_is_in_the_backup_bucket(photo, s3_server):
    s3_server.fresh_bucket(BACKUP)
    output = StringIO()
    call_command("restore_drill", "--backup-bucket", BACKUP, stdout=output)
    assert "The restore drill passed." in output.getvalue()
    assert sorted(s3_server.keys(BACKUP)) == sorted(s3_server.keys(BUCKET))
    assert len(s3_server.keys(BACKUP)) == 2  # the original and its rendition


def test_a_photo_missing_from_the_bucket_fails_the_drill(photo, s3_server):
    s3_server.fresh_bucket(BACKUP)
    s3_server.client().delete_object(Bucket=BUCKET, Key=photo.file.name)
    with pytest.raises(CommandError, match=photo.file.name):
        call_command("restore_drill", "--backup-bucket", BACKUP, stdout=StringIO())
