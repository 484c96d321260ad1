"""Helpers for the upload protocol tests: a client of the API, as the browser's would be."""

import base64
import random
from typing import Any

from django.test import Client

from lms.catalog.models import Lecture

HEAD = 64 * 1024
# The start of an ISO BMFF (MP4) file: enough for the content check, which reads signatures.
MP4_SIGNATURE = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def fake_video(size: int, *, seed: int = 1) -> bytes:
    """`size` bytes that start like an MP4 (random after the signature)."""
    body = random.Random(seed).randbytes(max(0, size - len(MP4_SIGNATURE)))
    return (MP4_SIGNATURE + body)[:size]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def start(
    client: Client,
    lecture: Lecture | int,
    data: bytes,
    *,
    head: bytes | None = None,
    **fields: Any,
) -> Any:
    payload = {
        "lecture": lecture if isinstance(lecture, int) else lecture.pk,
        "filename": "1강 소개.mp4",
        "size": len(data),
        "content_type": "video/mp4",
        "head": b64(data[:HEAD] if head is None else head),
        **fields,
    }
    return client.post("/api/v1/uploads", payload, content_type="application/json")


def part_bytes(data: bytes, part_size: int, number: int) -> bytes:
    return data[(number - 1) * part_size : number * part_size]


def put_part(client: Client, upload_id: int, number: int, body: bytes) -> Any:
    return client.put(
        f"/api/v1/uploads/{upload_id}/parts/{number}",
        data=body,
        content_type="application/octet-stream",
    )


def send_all(client: Client, upload: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """PUT every part through the platform (embedded mode); returns [{number, etag}]."""
    parts = []
    for number in range(1, upload["parts_count"] + 1):
        response = put_part(
            client, upload["id"], number, part_bytes(data, upload["part_size"], number)
        )
        assert response.status_code == 200, response.json()
        parts.append({"number": number, "etag": response["ETag"]})
    return parts


def complete(client: Client, upload_id: int, parts: list[dict[str, Any]]) -> Any:
    return client.post(
        f"/api/v1/uploads/{upload_id}/complete", {"parts": parts}, content_type="application/json"
    )
