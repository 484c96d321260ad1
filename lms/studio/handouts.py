"""What a handout may be, told from its bytes and never from its name (DESIGN.md "Files from
members").

A handout is stored under a server-chosen name with the extension of the type found here and
is always served with that type, `nosniff` and `Content-Disposition: attachment`
(lms/media/files.py). HTML, SVG, XML and script are refused whatever their first bytes: a file
that starts `%PDF-` and then carries `<html><script>` is not a PDF a person made.
"""

import re
import zipfile
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from lms.core.errors import AppError


@dataclass(frozen=True)
class HandoutType:
    kind: str
    extension: str
    content_type: str


PDF = HandoutType("pdf", ".pdf", "application/pdf")
DOCX = HandoutType(
    "docx", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
PPTX = HandoutType(
    "pptx", ".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
XLSX = HandoutType(
    "xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
HWPX = HandoutType("hwpx", ".hwpx", "application/hwp+zip")
ZIP = HandoutType("zip", ".zip", "application/zip")
# Compound-file (OLE) documents: the container is the same for all four, so the uploaded name's
# extension picks which of them it is; a wrong pick only changes the program that opens it.
LEGACY = {
    ".doc": HandoutType("doc", ".doc", "application/msword"),
    ".ppt": HandoutType("ppt", ".ppt", "application/vnd.ms-powerpoint"),
    ".xls": HandoutType("xls", ".xls", "application/vnd.ms-excel"),
    ".hwp": HandoutType("hwp", ".hwp", "application/x-hwp"),
}
BY_KIND = {t.kind: t for t in (PDF, DOCX, PPTX, XLSX, HWPX, ZIP, *LEGACY.values())}

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 2048
# Names a browser or an OS would run or render as a document with script.
_ACTIVE = ".html .htm .xhtml .shtml .mht .mhtml .svg .svgz .xml .xsl .xslt .js .mjs .css .swf .hta"
ACTIVE_EXTENSIONS = frozenset(
    (_ACTIVE + " .php .jsp .asp .aspx .vbs .wsf .bat .cmd .exe .sh").split()
)
# Markup that makes a file HTML, SVG or XML to a browser that sniffs. Looked for in the head of
# every file, so "%PDF-1.4<html><script>" is refused; inside a real PDF's compressed streams the
# chance of these byte strings is negligible, and PDF metadata (XMP) starts `<?xpacket`, which
# this does not match.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|script[\s>]|svg[\s>]|iframe[\s>]"
    rb"|object[\s>]|embed[\s>]|\?xml[\s?]|xsl:|meta[\s>])",
    re.IGNORECASE,
)


def _refuse_unsupported() -> AppError:
    return AppError(
        _("Handouts can be PDF, PowerPoint, Excel, Word or HWP files."),
        code="unsupported_handout",
        extra={"field": "file"},
    )


def _refuse_active() -> AppError:
    return AppError(
        _("HTML, SVG, XML and script files cannot be handouts. Save it as a PDF and upload that."),
        code="active_content",
        extra={"field": "file"},
    )


def _extension(name: str) -> str:
    lowered = name.lower().rstrip(". ")
    return lowered[lowered.rfind(".") :] if "." in lowered else ""


def _zip_type(handle: IO[bytes]) -> HandoutType:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = archive.namelist()
            if "mimetype" in names and archive.read("mimetype").strip() == b"application/hwp+zip":
                return HWPX
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise _refuse_unsupported() from exc
    office = "[Content_Types].xml" in names
    if not office and any(_extension(n) in ACTIVE_EXTENSIONS for n in names):
        # A plain archive of web pages is a web site, not a handout. (Office files hold XML
        # parts by design; they are opened by office programs, never by a browser.)
        raise _refuse_active()
    if office:
        tops = {n.split("/", 1)[0] for n in names}
        for top, found in (("word", DOCX), ("ppt", PPTX), ("xl", XLSX)):
            if top in tops:
                return found
    return ZIP


def handout_type(handle: IO[bytes], *, name: str) -> HandoutType:
    """The type of an uploaded handout, from its content; raises AppError when it is not one
    of the allowed types or is active content. Leaves `handle` at its start."""
    if _extension(name) in ACTIVE_EXTENSIONS:
        raise _refuse_active()
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    handle.seek(0)
    if _MARKUP.search(head):
        raise _refuse_active()
    if head.startswith(b"%PDF-"):
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read(TAIL_BYTES)
        handle.seek(0)
        if b"%%EOF" not in tail:
            raise AppError(
                _("This file starts like a PDF but is not a complete PDF document."),
                code="broken_pdf",
                extra={"field": "file"},
            )
        return PDF
    if head.startswith(b"PK\x03\x04"):
        found = _zip_type(handle)
        handle.seek(0)
        return found
    if head.startswith(_OLE_SIGNATURE):
        legacy = LEGACY.get(_extension(name))
        if legacy is not None:
            return legacy
    raise _refuse_unsupported()


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def download_name(title: str, found: HandoutType) -> str:
    """The file name a member's browser saves a handout as: its title, made safe for any file
    system, with the extension of its detected type."""
    stem = _UNSAFE_NAME.sub(" ", title).strip(" .")[:100]
    if stem.lower().endswith(found.extension):
        stem = stem[: -len(found.extension)]
    return (stem or "handout") + found.extension
