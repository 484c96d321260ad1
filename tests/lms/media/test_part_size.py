"""How big the parts of an upload are: small enough that a resume re-sends little, big enough
for the storage (S3's 5 MiB minimum) and for a bounded number of requests."""

import pytest

from lms.media.models import Upload
from lms.media.upload_store import MAX_PARTS, S3_MIN_PART_BYTES, part_size_for

MIB = 1024 * 1024
LOCAL, S3 = Upload.Backend.LOCAL, Upload.Backend.S3


@pytest.fixture(autouse=True)
def defaults(settings):
    settings.UPLOAD_PART_SIZE = 16 * MIB
    settings.UPLOAD_TARGET_PARTS = 100


def _count(size: int, part: int) -> int:
    return -(-size // part)


def test_a_twelve_megabyte_file_is_no_longer_one_part_in_the_embedded_mode():
    # With one fixed 16 MiB part, a dropped connection sent this file again from zero.
    part = part_size_for(12 * MIB, LOCAL)

    assert part < 12 * MIB / 10
    assert _count(12 * MIB, part) >= 10


def test_a_small_file_is_split_down_to_the_sniffed_head_in_the_embedded_mode():
    part = part_size_for(700 * 1024, LOCAL)

    assert part == 64 * 1024
    assert _count(700 * 1024, part) == 11


def test_on_s3_parts_never_go_below_five_mebibytes():
    assert part_size_for(12 * MIB, S3) == S3_MIN_PART_BYTES
    assert _count(12 * MIB, part_size_for(12 * MIB, S3)) == 3
    assert part_size_for(4 * MIB, S3) == S3_MIN_PART_BYTES  # one part: S3 cannot split it


def test_a_mid_sized_file_gets_about_a_hundred_parts_of_round_size():
    size = 800 * MIB + 12345
    part = part_size_for(size, LOCAL)

    assert part % (64 * 1024) == 0
    assert 95 <= _count(size, part) <= 100


def test_a_big_file_keeps_the_largest_part_size_and_stays_under_the_part_limit():
    assert part_size_for(10 * 1024 * MIB, LOCAL) == 16 * MIB
    huge = 400 * 1024 * MIB
    assert _count(huge, part_size_for(huge, S3)) <= MAX_PARTS


def test_a_smaller_configured_part_size_is_kept_as_the_ceiling(settings):
    settings.UPLOAD_PART_SIZE = 256 * 1024

    assert part_size_for(100 * MIB, LOCAL) == 256 * 1024
    assert part_size_for(100 * MIB, S3) == S3_MIN_PART_BYTES
