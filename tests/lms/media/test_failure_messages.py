"""Every code a transcode or an upload can fail with has a reason in Korean (issue 19: the
pipeline's reasons are one table, `media_pipeline.reasons`, translated by the platform)."""

import pytest
from django.utils import translation

from lms.media import failures
from media_pipeline import reasons
from media_pipeline.errors import MediaPipelineError

ALL_CODES = sorted({*reasons.MESSAGES, *failures.MESSAGES})


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _subclasses(child))]


def test_every_error_class_of_the_pipeline_has_a_reason():
    codes = {cls.code for cls in _subclasses(MediaPipelineError)} - {MediaPipelineError.code}
    assert codes <= set(ALL_CODES)


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_failure_code_has_a_korean_reason(code):
    with translation.override("ko"):
        korean = failures.failure_message(code, {})
    with translation.override("en"):
        english = failures.failure_message(code, {})
    assert korean, code
    assert korean != english, code
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean), korean


def test_a_reason_is_filled_from_the_jobs_numbers_in_korean():
    params = {"width": 8000, "height": 6000, "max_pixels": 36_000_000, "max_side": 8192}
    with translation.override("ko"):
        text = failures.failure_message(reasons.TOO_MANY_PIXELS, params)
    assert "8000×6000" in text
    assert "36.0" in text
    assert "8192" in text
