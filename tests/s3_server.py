"""A real S3 API on loopback: moto's server, in a process of its own, as tests' object storage.

Every request it answers is in its log (werkzeug's access lines), so a test can
count what the shop asked of the bucket.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

from bench.servers import free_port

BUCKET = "shop-media"
REGION = "us-east-1"
# moto accepts any keys; the shop must still send some, as it would to a real bucket.
ACCESS_KEY, SECRET_KEY = "test-access-key", "test-secret-key"
START_TIMEOUT = 60  # seconds
_REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


def public_read_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._log = Path(tempfile.mkdtemp(prefix="s3-server-")) / "moto.log"
        self._process: subprocess.Popen | None = None

    def start(self) -> S3Server:
        with open(self._log, "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # moto imports its services on the first request: slow on a busy machine.
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                requests.get(self.endpoint_url, timeout=START_TIMEOUT)
                break
            except requests.RequestException:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start:\n{self._log.read_text()}") from None
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._process:
            self._process.terminate()
            self._process.wait(timeout=10)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def fresh_bucket(self, name: str = BUCKET) -> str:
        """An empty bucket called ``name``, made anew, whose objects anyone may read (the
        bucket policy docs/OPERATIONS.md gives: photos are public, listing is not)."""
        client = self.client()
        if name in {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                for item in page.get("Contents", []):
                    client.delete_object(Bucket=name, Key=item["Key"])
            client.delete_bucket(Bucket=name)
        client.create_bucket(Bucket=name)
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
        return name

    def keys(self, bucket: str = BUCKET) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def requests_seen(self) -> list[tuple[str, str]]:
        """(method, path) of every request answered so far, in order."""
        text = self._log.read_text(errors="replace")
        return [(match["method"], match["path"]) for match in _REQUEST_LINE.finditer(text)]

    def environment(self, bucket: str = BUCKET) -> dict[str, str]:
        """The shop's settings for this bucket, as an operator would set them."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }
