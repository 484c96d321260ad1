"""A course's cover image, told from its bytes and never from its name (DESIGN.md "Files from
members").

The upload must decode as a PNG, JPEG or WebP image. It is then drawn again by Pillow into a
new file of the same type, at most `MAX_EDGE` pixels on its longer side: what is stored holds
only pixels (no metadata, no trailing bytes a sniffing browser could take for a page), and a
phone photo of 12 megapixels does not make every catalog page heavy.
"""

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from lms.core.errors import AppError


@dataclass(frozen=True)
class CoverType:
    format: str
    extension: str
    content_type: str


PNG = CoverType("PNG", ".png", "image/png")
JPEG = CoverType("JPEG", ".jpg", "image/jpeg")
WEBP = CoverType("WEBP", ".webp", "image/webp")
BY_FORMAT = {t.format: t for t in (PNG, JPEG, WEBP)}
BY_EXTENSION = {t.extension: t for t in (PNG, JPEG, WEBP)}

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Above this many pixels Pillow's decoder is not even started: a small file can claim a huge
# canvas (a "decompression bomb").
MAX_SOURCE_PIXELS = 40_000_000
MIN_EDGE = 200
MAX_EDGE = 1280


def _refuse(message: str, code: str) -> AppError:
    return AppError(message, code=code, extra={"field": "cover"})


def _refuse_not_image() -> AppError:
    return _refuse(_("The cover must be a PNG, JPEG or WebP image."), "unsupported_cover")


def cover_image_read(handle: IO[bytes], *, size: int | None) -> tuple[bytes, CoverType]:
    """The stored form of an uploaded cover and its type; raises AppError (field `cover`)
    when it is not a PNG, JPEG or WebP image of a sensible size."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _refuse(_("The cover image is larger than 10 MB."), "cover_too_large")
    handle.seek(0)
    data = handle.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(_("The cover image is larger than 10 MB."), "cover_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=list(BY_FORMAT))
            found = BY_FORMAT.get(probe.format or "")
            if found is None:
                raise _refuse_not_image()
            width, height = probe.size
            if width * height > MAX_SOURCE_PIXELS:
                raise _refuse(
                    _("The cover image is too large (at most 40 megapixels)."),
                    "cover_too_many_pixels",
                )
            probe.load()  # decodes every pixel: a truncated or corrupt file fails here
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _refuse_not_image() from exc
    except Image.DecompressionBombWarning as exc:
        raise _refuse_not_image() from exc
    if min(width, height) < MIN_EDGE:
        raise _refuse(
            _("The cover image is too small: at least %(n)s pixels on each side.")
            % {"n": MIN_EDGE},
            "cover_too_small",
        )
    image = ImageOps.exif_transpose(probe)
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    if found is JPEG and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if found is not PNG else {"optimize": True}
    image.save(out, format=found.format, **options)
    return out.getvalue(), found


def cover_type_of(name: str) -> CoverType | None:
    """The type a stored cover was saved as, from the extension the platform gave it."""
    dot = name.rfind(".")
    return BY_EXTENSION.get(name[dot:].lower()) if dot >= 0 else None
