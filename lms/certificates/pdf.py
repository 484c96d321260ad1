"""The certificate as a PDF: A4, Korean (or English), with the platform's Korean font embedded
and a QR code to the verification page.

fpdf2 because it is pure Python (no Cairo or Pango to install, unlike WeasyPrint), embeds a
subset of a TrueType/WOFF font with a ToUnicode map (so the Hangul can be copied and
searched), and reads the WOFF files the site already ships for its pages
(@fontsource/noto-sans-kr), so the PDF and the pages use one font.
"""

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from fpdf import FPDF

from .formatting import date_long, study_time
from .models import Certificate

# fontTools logs each table it subsets at INFO: a few dozen lines per PDF in the site's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

_FONT_FILES = {
    "": "vendor/noto-sans-kr/files/noto-sans-kr-korean-400-normal.woff",
    "B": "vendor/noto-sans-kr/files/noto-sans-kr-korean-700-normal.woff",
}


def _font_path(static_path: str) -> str:
    found = finders.find(static_path)
    if found:
        return str(found if isinstance(found, str) else found[0])
    collected = Path(settings.STATIC_ROOT) / static_path
    if collected.is_file():
        return str(collected)
    raise FileNotFoundError(f"the Korean font {static_path} is missing: run scripts/setup.sh")


@dataclass(frozen=True)
class _Copy:
    heading: str
    name: str
    title: str
    completed: str
    study: str
    rule: str
    body: str
    number: str
    verify: str
    issuer_line: str
    rules: dict[str, str]


_KO = _Copy(
    heading="수 료 증",
    name="성명",
    title="과정명",
    completed="수료일",
    study="인정 학습시간",
    rule="수료 기준",
    body="위 사람은 {issuer}의 위 과정을 수료 기준에 따라 성실히 이수하였기에 이 증서를 드립니다.",
    number="인증번호",
    verify="진위 확인",
    issuer_line="{issuer}",
    rules={
        "community": "커뮤니티 기준 (강의별 시청 범위 충족)",
        "hrd": "HRD 기준 (진도율·배속·일일 수강 한도 충족)",
        "mixed": "커뮤니티·HRD 기준 (과정별 기준 충족)",
    },
)
_EN = _Copy(
    heading="Certificate of Completion",
    name="Name",
    title="Course",
    completed="Completed on",
    study="Recognised study time",
    rule="Completion rule",
    body="This certifies that the person named above has completed the course above under "
    "its completion rule, as recorded by {issuer}.",
    number="Certificate number",
    verify="Verify at",
    issuer_line="{issuer}",
    rules={
        "community": "Community rule (coverage of every lecture)",
        "hrd": "HRD rule (progress rate, playback speed and daily limits)",
        "mixed": "Community and HRD rules (each course's own)",
    },
)


def certificate_pdf(*, certificate: Certificate, verify_url: str, english: bool = False) -> bytes:
    """The PDF of a valid certificate. `verify_url` is the absolute address its QR code and
    text point to."""
    copy = _EN if english else _KO
    issuer = settings.CERTIFICATE_ISSUER_EN if english else settings.CERTIFICATE_ISSUER
    title = (certificate.title_en or certificate.title) if english else certificate.title

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{copy.heading.replace(' ', '')} {certificate.code}")
    pdf.set_author(issuer)
    pdf.set_creator(issuer)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(25, 25, 25)
    for style, static_path in _FONT_FILES.items():
        pdf.add_font("NotoSansKR", style, _font_path(static_path))
    pdf.add_page()

    # A double frame, as printed certificates have.
    pdf.set_draw_color(30, 58, 95)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, 186, 273)
    pdf.set_line_width(0.3)
    pdf.rect(15, 15, 180, 267)

    pdf.set_text_color(30, 58, 95)
    pdf.set_font("NotoSansKR", "", 12)
    pdf.set_xy(25, 32)
    pdf.cell(160, 8, issuer, align="C")
    pdf.set_font("NotoSansKR", "B", 26 if english else 36)
    pdf.set_xy(25, 48)
    pdf.cell(160, 18, copy.heading, align="C")

    pdf.set_text_color(20, 20, 20)
    rows = [
        (copy.name, certificate.name),
        (copy.title, title),
        (copy.completed, date_long(certificate.completed_at, english=english)),
        (copy.study, study_time(certificate.study_seconds, english=english)),
        (copy.rule, copy.rules.get(certificate.rule, certificate.rule)),
    ]
    y = 88.0
    for label, value in rows:
        pdf.set_xy(30, y)
        pdf.set_font("NotoSansKR", "B", 12)
        pdf.cell(45, 9, label)
        pdf.set_font("NotoSansKR", "", 13)
        pdf.set_xy(75, y)
        pdf.multi_cell(105, 9, value)
        y = max(y + 14, pdf.get_y() + 5)

    pdf.set_font("NotoSansKR", "", 13)
    pdf.set_xy(30, y + 8)
    pdf.multi_cell(150, 9, copy.body.format(issuer=issuer), align="C")

    pdf.set_font("NotoSansKR", "", 13)
    pdf.set_xy(25, 200)
    pdf.cell(160, 8, date_long(certificate.issued_at, english=english), align="C")
    pdf.set_font("NotoSansKR", "B", 18)
    pdf.set_xy(25, 212)
    pdf.cell(160, 10, copy.issuer_line.format(issuer=issuer), align="C")

    qr = segno.make(verify_url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=8, border=2)
    image.seek(0)
    pdf.image(image, x=28, y=236, w=36, h=36)
    pdf.set_font("NotoSansKR", "B", 11)
    pdf.set_xy(70, 243)
    pdf.cell(0, 7, f"{copy.number}  {certificate.code}")
    pdf.set_font("NotoSansKR", "", 9)
    pdf.set_xy(70, 252)
    pdf.cell(0, 6, copy.verify)
    pdf.set_xy(70, 258)
    pdf.cell(0, 6, verify_url)
    return bytes(pdf.output())
