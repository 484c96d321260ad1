"""The certificate PDF, read back with Poppler (pdffonts, pdftotext, pdftoppm) and its QR code
decoded with zxing-cpp."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from django.conf import settings
from PIL import Image

from lms.certificates import services
from lms.certificates.pdf import certificate_pdf
from tests.factories import UserFactory

from .conftest import complete_course

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not shutil.which("pdffonts"), reason="needs poppler-utils (scripts/setup.sh installs it)"
    ),
]

# The rendered first page is kept here for people to look at (the issue asks for it).
OUTPUT_DIR = Path(settings.BASE_DIR) / "test-results" / "certificates"
VERIFY_URL = "https://lms.example.org/c/{code}/"


def poppler(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def certificate(short_course):
    member = UserFactory(display_name="길동", certificate_name="홍길동")
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    return certificate


def write_pdf(tmp_path: Path, certificate, *, english: bool = False) -> Path:
    path = tmp_path / ("en.pdf" if english else "ko.pdf")
    url = VERIFY_URL.format(code=certificate.code)
    path.write_bytes(certificate_pdf(certificate=certificate, verify_url=url, english=english))
    return path


def test_the_pdf_embeds_its_korean_font_and_the_hangul_comes_back(tmp_path, certificate):
    path = write_pdf(tmp_path, certificate)

    fonts = poppler("pdffonts", str(path)).splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        # name, type..., emb, sub, uni: every font embedded, as a subset, with a Unicode map.
        assert line.split()[-5:-2] == ["yes", "yes", "yes"], line
    assert any("NotoSansKR" in line for line in fonts)

    text = poppler("pdftotext", "-layout", str(path), "-")
    for expected in (
        "수료증",
        "홍길동",
        "QA관리사 기초",
        "인정 학습시간",
        "커뮤니티 기준",
        "CS리더스포럼",
        certificate.code,
        VERIFY_URL.format(code=certificate.code),
    ):
        assert expected in text, expected
    assert "길동" in text
    assert "년" in text
    assert "월" in text


def test_the_pdf_is_a4(tmp_path, certificate):
    info = poppler("pdfinfo", str(write_pdf(tmp_path, certificate)))
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    assert "595.28 x 841.89 pts (A4)" in size
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)


def test_the_qr_code_decodes_to_the_verification_url(tmp_path, certificate):
    path = write_pdf(tmp_path, certificate)
    poppler("pdftoppm", "-png", "-r", "110", "-singlefile", str(path), str(tmp_path / "page"))
    png = tmp_path / "page.png"
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, OUTPUT_DIR / "certificate-ko.png")

    [barcode] = zxingcpp.read_barcodes(Image.open(png))

    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == VERIFY_URL.format(code=certificate.code)


def test_the_english_pdf_speaks_english_and_keeps_the_korean_name(tmp_path, certificate):
    path = write_pdf(tmp_path, certificate, english=True)
    text = poppler("pdftotext", str(path), "-")
    assert "Certificate of Completion" in text
    assert "QA Manager Basics" in text
    assert "홍길동" in text
    assert "CS Leaders Forum" in text
    poppler("pdftoppm", "-png", "-r", "80", "-singlefile", str(path), str(tmp_path / "en"))
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "en.png", OUTPUT_DIR / "certificate-en.png")


def test_a_long_title_wraps_inside_the_page(tmp_path, certificate):
    certificate.title = "고객 경험 관리를 위한 " * 8
    path = write_pdf(tmp_path, certificate)
    text = poppler("pdftotext", str(path), "-")
    assert "고객 경험 관리를 위한" in text
    assert re.search(r"^Pages:\s+1$", poppler("pdfinfo", str(path)), re.MULTILINE)
