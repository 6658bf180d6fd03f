"""Uploads on S3-compatible object storage when a bucket is configured; local disk otherwise."""

from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup
from django.core.files.storage import default_storage
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from home import shop_page
from mysite.settings.environment import media_origins, media_storage_config
from store.models import Product
from tests.s3_server import BUCKET

S3_VARIABLES = [
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_CUSTOM_DOMAIN",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_QUERYSTRING_AUTH",
]


@pytest.fixture
def no_bucket_env(monkeypatch):
    for name in S3_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_local_disk_is_the_embedded_default(no_bucket_env):
    storage = media_storage_config()
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert media_origins(storage) == []


def test_a_bucket_in_the_environment_puts_media_on_s3(no_bucket_env):
    no_bucket_env.setenv("AWS_STORAGE_BUCKET_NAME", "shop-photos")
    no_bucket_env.setenv("AWS_S3_REGION_NAME", "ap-south-1")
    storage = media_storage_config()
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["region_name"]) == ("shop-photos", "ap-south-1")
    assert options["querystring_auth"] is False and options["file_overwrite"] is False
    assert media_origins(storage) == [
        "https://shop-photos.s3.amazonaws.com",
        "https://shop-photos.s3.ap-south-1.amazonaws.com",
    ]

    no_bucket_env.setenv("AWS_S3_CUSTOM_DOMAIN", "cdn.shop.example/media")
    assert media_origins(media_storage_config()) == ["https://cdn.shop.example"]

    no_bucket_env.delenv("AWS_S3_CUSTOM_DOMAIN")
    no_bucket_env.setenv("AWS_S3_ENDPOINT_URL", "https://minio.internal:9000")
    assert media_origins(media_storage_config()) == ["https://minio.internal:9000"]


@pytest.mark.django_db
def test_a_photo_uploaded_in_the_admin_is_stored_in_the_bucket_and_shown_from_it(
    s3_media, s3_server, admin_client, products
):
    upload = get_test_image_file(filename="shirt.png")
    upload.seek(0)
    response = admin_client.post("/admin/images/add/", {"title": "Shirt photo", "file": upload})
    assert response.status_code == 302, response.content[:500]
    image = get_image_model().objects.get(title="Shirt photo")
    assert f"original_images/{image.file.name.split('/')[-1]}" in s3_server.keys()
    shirt = products[0]
    shirt.image = image
    shirt.save()

    page = BeautifulSoup(admin_client.get("/").content, "html.parser")
    source = page.select_one("img.product-image")["src"]
    assert source.startswith(f"{s3_server.endpoint_url}/{BUCKET}/images/"), source
    photo = requests.get(source, timeout=10)
    assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")
    assert default_storage.exists(image.file.name)


@pytest.mark.django_db
def test_the_shop_page_asks_the_bucket_nothing_once_renditions_exist(s3_media, s3_server, client):
    for product, name in zip(Product.objects.published(), ("a.png", "b.png", "c.png"), strict=True):
        product.image = get_image_model().objects.create(
            title=name, file=get_test_image_file(filename=name)
        )
        product.save()
    assert client.get("/").status_code == 200  # renditions are made: reads and writes
    made = len(s3_server.requests_seen())

    for _ in range(3):
        shop_page.invalidate()  # rendered afresh each time, not served from the cache
        shop_page.forget_worker_copy()
        page = BeautifulSoup(client.get("/").content, "html.parser")
        assert len(page.select("img.product-image")) == 3

    assert s3_server.requests_seen()[made:] == []
