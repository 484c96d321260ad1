"""Moving video files between Django storage (local files or S3) and a worker's temp dir.

Only the storage API is used (never `FieldFile.path`, which S3 lacks), so the same code runs on
the embedded file storage and on S3.
"""

import logging
import posixpath
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage

log = logging.getLogger(__name__)

# Outputs never change once written (a re-encode writes a new version prefix), so media can be
# cached for a year. Playlists are tiny and are what a fix would change: keep them short.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
PLAYLIST_CACHE_CONTROL = "public, max-age=60"

_CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "video/mp4",
    ".m4s": "video/mp4",
    ".m4v": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
}
# An audio-only rendition is packaged like the video ones (`audio/media.mp4`); players and
# CDNs expect `audio/mp4` for it.
AUDIO_DIRECTORY = "audio"

CHUNK_BYTES = 8 * 1024 * 1024

ProgressHook = Callable[[int], None]


def media_headers(name: str) -> tuple[str, str] | None:
    """(Content-Type, Cache-Control) for a file of a video version, or None if not media."""
    path = PurePosixPath(name)
    content_type = _CONTENT_TYPES.get(path.suffix.lower())
    if content_type is None:
        return None
    if content_type == "video/mp4" and AUDIO_DIRECTORY in path.parts[:-1]:
        content_type = "audio/mp4"
    cache = PLAYLIST_CACHE_CONTROL if path.suffix.lower() == ".m3u8" else IMMUTABLE_CACHE_CONTROL
    return content_type, cache


class MediaS3Storage(S3Storage):  # type: ignore[misc]  # django-storages has no types
    """S3Storage that stores HLS outputs with their Content-Type and Cache-Control.

    `get_object_parameters` is django-storages' per-object hook; `object_parameters` (global)
    cannot tell a playlist from a segment. Settings may name this class as the default
    storage's backend; `media_writer` uses it for video outputs either way.
    """

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params: dict[str, Any] = super().get_object_parameters(name)
        relative = name
        if self.location and name.startswith(self.location):
            relative = name[len(self.location) :].lstrip("/")
        if relative.startswith("videos/"):
            headers = media_headers(name)
            if headers is not None:
                params.setdefault("ContentType", headers[0])
                params.setdefault("CacheControl", headers[1])
        return params


def media_writer(storage: Storage) -> Storage:
    """The storage to write a version's package with.

    On S3 that is a `MediaS3Storage` with the same options, so every object gets its
    Content-Type and Cache-Control whichever S3Storage class the settings name. Other storages
    (local files) have no per-file headers: whatever serves them sets the headers, with
    `media_headers`.
    """
    if isinstance(storage, S3Storage) and not isinstance(storage, MediaS3Storage):
        _path, args, kwargs = storage.deconstruct()
        return MediaS3Storage(*args, **kwargs)
    return storage


def walk(storage: Storage, prefix: str) -> Iterator[str]:
    """Every file name under `prefix` (a directory-like name ending in "/"), recursively."""
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(prefix, name)
    for directory in directories:
        yield from walk(storage, posixpath.join(prefix, directory) + "/")


def delete_prefix(storage: Storage, prefix: str) -> int:
    """Delete every file under `prefix`; returns how many. Safe to call on a missing prefix."""
    names = list(walk(storage, prefix))
    for name in names:
        storage.delete(name)
    return len(names)


def delete_prefix_quietly(storage: Storage, prefix: str) -> None:
    """`delete_prefix`, logging instead of raising: for clean-ups whose failure must not change
    the outcome they follow (a leftover is harmless; a new attempt empties the prefix first)."""
    try:
        delete_prefix(storage, prefix)
    except Exception:
        log.exception("could not remove the files under %s", prefix)


def download(storage: Storage, name: str, destination: Path, on_bytes: ProgressHook) -> int:
    """Copy `name` from storage to the local file `destination`, streaming.

    Raises FileNotFoundError when `name` is not in storage.
    """
    copied = 0
    with storage.open(name, "rb") as source, destination.open("xb") as target:
        s3_object = getattr(source, "obj", None)
        if isinstance(storage, S3Storage) and s3_object is not None:
            # S3File.read() would first spool the whole object to another temp file; a
            # ranged, multi-threaded download straight into our file needs half the disk.
            def count(n: int) -> None:
                nonlocal copied
                copied += n
                on_bytes(copied)

            s3_object.download_fileobj(target, Callback=count)
            return copied
        while chunk := source.read(CHUNK_BYTES):
            target.write(chunk)
            copied += len(chunk)
            on_bytes(copied)
    return copied


def upload(storage: Storage, local_path: Path, name: str) -> str:
    """Save the local file at `local_path` as `name`; returns the name storage used."""
    with local_path.open("rb") as handle:
        return storage.save(name, File(handle, name=local_path.name))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
