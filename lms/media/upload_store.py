"""Where the parts of a resumable upload wait until it is completed: the mechanics only.

`lms.media.uploads` (the services) decides what may happen; a part store does it, for one of
the two storage modes:

* `LocalPartStore` (embedded mode, FileSystemStorage): the platform receives each part and
  writes it straight into place, at its offset in one data file under
  `<storage>/upload-parts/<key>/`. Completing fsyncs that file and renames it to its storage
  key, so a multi-GB upload is written to disk once and never copied or held in memory. Which
  parts arrived is recorded as `UploadPart` rows.
* `S3PartStore`: an S3 multipart upload. The browser PUTs each part straight to the bucket with
  a URL presigned (SigV4) for that upload id, part number, key and exact Content-Length, so
  the bytes never pass through Django and a URL cannot be used for another upload, another
  part or another size. S3 is the record of which parts arrived (ListParts).

Longer than 400 lines: the two implementations of one protocol, side by side so that they
stay alike.
"""

import contextlib
import fcntl
import os
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.urls import reverse
from django.utils import timezone
from storages.backends.s3 import S3Storage

from media_pipeline.sniff import HEAD_BYTES

from .models import Upload, UploadPart

READ_CHUNK_BYTES = 1024 * 1024
S3_MIN_PART_BYTES = 5 * 1024 * 1024  # S3 (and SeaweedFS) refuse smaller parts but the last
MAX_PARTS = 10_000  # S3's limit; the embedded mode keeps it too, for one protocol
LOCAL_PARTS_DIR = "upload-parts"


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class PartInfo:
    number: int
    size: int
    etag: str


@dataclass(frozen=True)
class PartTarget:
    """Where and how to send one part."""

    url: str
    method: str
    size: int  # the exact number of bytes the part must have
    expires_at: datetime | None  # None: a platform URL, valid while the upload is open
    direct: bool  # True: straight to object storage (no platform cookies or CSRF header)


@dataclass(frozen=True)
class ReceivedPart:
    etag: str
    head: bytes  # the first bytes of the file, when this was part 1


class PartIncompleteError(Exception):
    """The request body ended before the part did (the connection dropped)."""

    def __init__(self, received: int, expected: int) -> None:
        super().__init__(f"received {received} of {expected} bytes")
        self.received = received
        self.expected = expected


class PartConflictError(Exception):
    """A part that is already stored was sent again with different bytes."""


class UploadGoneError(Exception):
    """The upload's parts are no longer there (completed, aborted or expired meanwhile)."""


class StorageUnavailableError(Exception):
    """Object storage could not be reached or answered with a server error."""


class PartStore(Protocol):
    backend: str

    def begin(self, upload: Upload) -> str: ...
    def part_target(self, upload: Upload, number: int) -> PartTarget: ...
    def confirmed_parts(self, upload: Upload) -> dict[int, list[PartInfo]]: ...
    def assembled(self, upload: Upload) -> bool: ...
    def assemble(self, upload: Upload, parts: list[PartInfo]) -> None: ...
    def read_head(self, upload: Upload) -> bytes: ...
    def delete_object(self, upload: Upload) -> None: ...
    def discard(self, upload: Upload) -> None: ...
    def finishing(self, upload: Upload) -> contextlib.AbstractContextManager[None]: ...
    def orphans_discard(self, *, older_than: datetime, open_keys: set[str]) -> int: ...


def default_backend() -> str:
    """The storage mode of the default storage: `local` or `s3`."""
    storage = storages["default"]
    if isinstance(storage, S3Storage):
        return Upload.Backend.S3
    if isinstance(storage, FileSystemStorage):
        return Upload.Backend.LOCAL
    raise RuntimeError(f"uploads need FileSystemStorage or S3Storage, not {type(storage)}")


def part_store(backend: str | None = None) -> PartStore:
    """The part store of the default storage. Raises RuntimeError if `backend` (an upload's)
    is not the current mode: the settings changed while it was open."""
    storage = storages["default"]
    current = default_backend()
    if backend is not None and backend != current:
        raise RuntimeError(f"upload stored on {backend}, storage is now {current}")
    if isinstance(storage, S3Storage):
        return S3PartStore(storage)
    assert isinstance(storage, FileSystemStorage)
    return LocalPartStore(storage)


def part_size_for(size: int, backend: str) -> int:
    part = max(int(settings.UPLOAD_PART_SIZE), HEAD_BYTES)
    if backend == Upload.Backend.S3:
        part = max(part, S3_MIN_PART_BYTES)
    return max(part, -(-size // MAX_PARTS))


def _etag(crc: int) -> str:
    return f'"{crc:08x}"'


# --- embedded mode -------------------------------------------------------------------------


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a received part to disk now, without waiting for it.

    Completing an upload fsyncs the whole file; left to the kernel's own pace, most of a
    multi-GB upload would still be in the page cache then, and complete would wait for all of
    it. On Linux, POSIX_FADV_DONTNEED starts the write-back of the range's dirty pages (as
    sync_file_range(SYNC_FILE_RANGE_WRITE) does, which Python lacks) and drops its clean ones:
    the disk writes overlap the transfer of the next parts, and a finished upload does not
    crowd the page cache.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


class LocalPartStore:
    """Parts written in place into one sparse data file per upload.

    Concurrency: a writer takes a shared `flock` on the upload's lock file around each chunk it
    writes and first checks that the data file is still the one it opened; completing or
    discarding takes the exclusive lock before moving or deleting the file. So no byte is
    written into a file after it became the stored original (or was deleted), and a writer
    whose connection stalled holds no lock while it waits. Two requests for the same part
    with different bytes at the same time can only spoil their own upload; the second to
    finish sees the other's ETag and is refused (see `uploads.upload_part_receive`).
    """

    backend: str = Upload.Backend.LOCAL

    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage
        self.root = Path(str(storage.location)) / LOCAL_PARTS_DIR

    def _dir(self, upload: Upload) -> Path:
        # The key's random hex, not the upload's id: the directory name cannot be guessed.
        return self.root / str(upload.key).rsplit("/", 1)[-1]

    def begin(self, upload: Upload) -> str:
        directory = self._dir(upload)
        directory.mkdir(mode=0o700, parents=True)
        for name in ("data", "lock"):
            os.close(os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return ""

    def part_target(self, upload: Upload, number: int) -> PartTarget:
        return PartTarget(
            url=reverse("api-upload-part", args=[upload.pk, number]),
            method="PUT",
            size=upload.part_length(number),
            expires_at=None,
            direct=False,
        )

    def confirmed_parts(self, upload: Upload) -> dict[int, list[PartInfo]]:
        rows = UploadPart.objects.filter(upload=upload).values_list("number", "size", "etag")
        return {number: [PartInfo(number, size, etag)] for number, size, etag in rows}

    @contextlib.contextmanager
    def _locked(self, upload: Upload, mode: int) -> Iterator[int]:
        try:
            lock = os.open(self._dir(upload) / "lock", os.O_RDONLY)
        except FileNotFoundError as exc:
            raise UploadGoneError(upload.key) from exc
        try:
            fcntl.flock(lock, mode)
            yield lock
        finally:
            os.close(lock)  # releases the flock

    def receive(
        self, upload: Upload, number: int, stream: Readable, *, stored_etag: str | None
    ) -> ReceivedPart:
        """Read part `number` from `stream` into place; or, when it is already stored
        (`stored_etag`), compare it with what is stored and write nothing.

        Raises PartIncompleteError when the stream ends early, PartConflictError when a stored
        part differs, UploadGoneError when the upload was completed or discarded meanwhile.
        """
        length = upload.part_length(number)
        offset = (number - 1) * upload.part_size
        data = self._dir(upload) / "data"
        try:
            fd = os.open(data, os.O_RDWR)
        except FileNotFoundError as exc:
            raise UploadGoneError(upload.key) from exc
        # The ETag is the part's CRC-32, computed as the bytes stream through: it identifies
        # the content (the same bytes, the same ETag) at a fraction of MD5's CPU cost, which on
        # a small server is what bounds the upload rate. (S3's are MD5s; clients treat both
        # as opaque.)
        crc = 0
        head = bytearray()
        received = 0
        try:
            inode = os.fstat(fd).st_ino
            while received < length:
                chunk = stream.read(min(READ_CHUNK_BYTES, length - received))
                if not chunk:
                    raise PartIncompleteError(received, length)
                position = offset + received
                if stored_etag is not None:
                    if os.pread(fd, len(chunk), position) != chunk:
                        raise PartConflictError(number)
                else:
                    self._write(upload, fd, inode, data, chunk, position)
                crc = zlib.crc32(chunk, crc)
                if number == 1 and len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                received += len(chunk)
            if stored_etag is None:
                _start_writeback(fd, offset, length)
        finally:
            os.close(fd)
        return ReceivedPart(etag=stored_etag or _etag(crc), head=bytes(head))

    def _write(
        self, upload: Upload, fd: int, inode: int, data: Path, chunk: bytes, position: int
    ) -> None:
        with self._locked(upload, fcntl.LOCK_SH):
            try:
                still_ours = os.stat(data).st_ino == inode
            except FileNotFoundError:
                still_ours = False
            if not still_ours:
                raise UploadGoneError(upload.key)
            view = memoryview(chunk)
            while view:
                written = os.pwrite(fd, view, position)
                view = view[written:]
                position += written

    @contextlib.contextmanager
    def finishing(self, upload: Upload) -> Iterator[None]:
        """Hold off writers while the upload is completed or discarded."""
        lock: int | None = None
        with contextlib.suppress(FileNotFoundError):
            lock = os.open(self._dir(upload) / "lock", os.O_RDONLY)
        if lock is None:
            yield  # no part directory left to protect (completing checks `assembled`)
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        finally:
            os.close(lock)

    def _target(self, upload: Upload) -> Path:
        return Path(self.storage.path(upload.key))

    def assembled(self, upload: Upload) -> bool:
        try:
            return bool(self._target(upload).stat().st_size == upload.size)
        except FileNotFoundError:
            return False

    def assemble(self, upload: Upload, parts: list[PartInfo]) -> None:
        """Make the data file the stored original, durably. Caller holds `finishing`."""
        data = self._dir(upload) / "data"
        fd = os.open(data, os.O_RDWR)
        try:
            # Every part is in place (checked by the caller); a longer file would mean a bug.
            os.ftruncate(fd, upload.size)
            os.fsync(fd)
        finally:
            os.close(fd)
        target = self._target(upload)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(data, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)
        shutil.rmtree(self._dir(upload), ignore_errors=True)

    def read_head(self, upload: Upload) -> bytes:
        with self.storage.open(upload.key, "rb") as handle:
            return bytes(handle.read(HEAD_BYTES))

    def delete_object(self, upload: Upload) -> None:
        self.storage.delete(upload.key)

    def discard(self, upload: Upload) -> None:
        with self.finishing(upload):
            shutil.rmtree(self._dir(upload), ignore_errors=True)

    def orphans_discard(self, *, older_than: datetime, open_keys: set[str]) -> int:
        """Delete part directories that no open upload owns (a record deleted by hand, a
        crash between creating the directory and committing the row)."""
        if not self.root.is_dir():
            return 0
        cutoff = older_than.timestamp()
        removed = 0
        open_dirs = {key.rsplit("/", 1)[-1] for key in open_keys}
        for directory in self.root.iterdir():
            if directory.name in open_dirs or not directory.is_dir():
                continue
            if directory.stat().st_mtime < cutoff:
                shutil.rmtree(directory, ignore_errors=True)
                removed += 1
        return removed


# --- S3 ------------------------------------------------------------------------------------


def _s3_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _s3_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


@contextlib.contextmanager
def _s3_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        if _s3_code(exc) in ("NoSuchUpload", "NoSuchKey") or _s3_status(exc) == 404:
            raise UploadGoneError(_s3_code(exc)) from exc
        if _s3_status(exc) >= 500 or _s3_code(exc) in ("SlowDown", "RequestTimeout"):
            raise StorageUnavailableError(str(exc)) from exc
        raise
    except BotoCoreError as exc:  # could not connect, timed out, ...
        raise StorageUnavailableError(str(exc)) from exc


def bucket_cors_rules(origins: list[str]) -> dict[str, Any]:
    """The bucket CORS configuration the upload client and the players need: pages of
    `origins` may PUT parts straight to the bucket and read each part's ETag (which complete
    needs), and GET the video files (hls.js, and built-in HLS players in CORS mode)."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": origins,
                "AllowedMethods": ["PUT", "GET", "HEAD"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }


class S3PartStore:
    backend: str = Upload.Backend.S3

    def __init__(self, storage: S3Storage) -> None:
        self.storage = storage
        self.client: Any = storage.connection.meta.client
        self.bucket: str = storage.bucket_name

    def cors_configure(self, origins: list[str]) -> None:
        with _s3_errors():
            self.client.put_bucket_cors(
                Bucket=self.bucket, CORSConfiguration=bucket_cors_rules(origins)
            )

    def object_key(self, key: str) -> str:
        """The bucket key of a storage name (the storage's `location` prefix added)."""
        return str(self.storage._normalize_name(key))

    def begin(self, upload: Upload) -> str:
        with _s3_errors():
            created = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.object_key(upload.key),
                # The declared type is only a hint; nothing downstream trusts it.
                ContentType="application/octet-stream",
            )
        return str(created["UploadId"])

    def part_target(self, upload: Upload, number: int) -> PartTarget:
        ttl = int(settings.UPLOAD_PART_URL_TTL_SECONDS)
        size = upload.part_length(number)
        # ContentLength becomes a signed header (SigV4): a body of another size is refused by
        # the bucket (403), as is the URL used for another upload id, part number or key.
        url = self.client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": self.object_key(upload.key),
                "UploadId": upload.s3_upload_id,
                "PartNumber": number,
                "ContentLength": size,
            },
            ExpiresIn=ttl,
        )
        return PartTarget(
            url=url,
            method="PUT",
            size=size,
            expires_at=timezone.now() + timedelta(seconds=ttl),
            direct=True,
        )

    def confirmed_parts(self, upload: Upload) -> dict[int, list[PartInfo]]:
        """Every part S3 holds, by number. Some S3 servers (SeaweedFS) list each PUT of a part
        number separately; all are returned, newest first."""
        found: dict[int, list[tuple[datetime, PartInfo]]] = {}
        marker = 0
        with _s3_errors():
            while True:
                page = self.client.list_parts(
                    Bucket=self.bucket,
                    Key=self.object_key(upload.key),
                    UploadId=upload.s3_upload_id,
                    PartNumberMarker=marker,
                    MaxParts=1000,
                )
                for part in page.get("Parts", []):
                    info = PartInfo(int(part["PartNumber"]), int(part["Size"]), str(part["ETag"]))
                    found.setdefault(info.number, []).append((part["LastModified"], info))
                if not page.get("IsTruncated"):
                    break
                marker = int(page["NextPartNumberMarker"])
        return {
            number: [info for _when, info in sorted(entries, key=lambda e: e[0], reverse=True)]
            for number, entries in found.items()
        }

    def assembled(self, upload: Upload) -> bool:
        try:
            with _s3_errors():
                head = self.client.head_object(Bucket=self.bucket, Key=self.object_key(upload.key))
        except UploadGoneError:
            return False
        return bool(int(head["ContentLength"]) == upload.size)

    def assemble(self, upload: Upload, parts: list[PartInfo]) -> None:
        with _s3_errors():
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.object_key(upload.key),
                UploadId=upload.s3_upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
                },
            )

    def read_head(self, upload: Upload) -> bytes:
        with _s3_errors():
            found = self.client.get_object(
                Bucket=self.bucket,
                Key=self.object_key(upload.key),
                Range=f"bytes=0-{HEAD_BYTES - 1}",
            )
            return bytes(found["Body"].read())

    def delete_object(self, upload: Upload) -> None:
        with _s3_errors():
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(upload.key))

    def discard(self, upload: Upload) -> None:
        """Abort the multipart upload: S3 deletes its parts. Safe to repeat."""
        if not upload.s3_upload_id:
            return
        try:
            with _s3_errors():
                self.client.abort_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.object_key(upload.key),
                    UploadId=upload.s3_upload_id,
                )
        except UploadGoneError:
            pass  # already aborted or completed

    @contextlib.contextmanager
    def finishing(self, upload: Upload) -> Iterator[None]:
        yield  # S3 serialises part PUTs and CompleteMultipartUpload itself

    def orphans_discard(self, *, older_than: datetime, open_keys: set[str]) -> int:
        """Abort multipart uploads under `uploads/` that no open upload owns and that were
        started before `older_than`. (A bucket lifecycle rule AbortIncompleteMultipartUpload
        does the same on AWS; this covers servers without one.)"""
        prefix = self.object_key("uploads/")
        open_objects = {self.object_key(key) for key in open_keys}
        aborted = 0
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        with _s3_errors():
            while True:
                page = self.client.list_multipart_uploads(**params)
                for found in page.get("Uploads", []) or []:
                    if found["Key"] in open_objects or found["Initiated"] >= older_than:
                        continue
                    with contextlib.suppress(ClientError):
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=found["Key"], UploadId=found["UploadId"]
                        )
                        aborted += 1
                if not page.get("IsTruncated"):
                    break
                params["KeyMarker"] = page.get("NextKeyMarker", "")
                params["UploadIdMarker"] = page.get("NextUploadIdMarker", "")
        return aborted
