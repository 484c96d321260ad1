import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from lms.media.models import TranscodeJob, Upload, VideoAsset, VideoVersion
from tests.factories import UserFactory


class VideoAssetFactory(factory.django.DjangoModelFactory):
    """An asset row only; its `original` names nothing in storage unless a test puts it there."""

    class Meta:
        model = VideoAsset

    uploaded_by = factory.SubFactory(UserFactory)
    original = factory.LazyFunction(lambda: f"uploads/{uuid.uuid4().hex}")
    original_filename = "lecture.mp4"
    original_size_bytes = 1000


class VideoVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoVersion

    asset = factory.SubFactory(VideoAssetFactory)
    number = 1
    storage_prefix = factory.LazyAttribute(lambda v: f"videos/{v.asset.pk}/{v.number}/")


class TranscodeJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TranscodeJob

    version = factory.SubFactory(VideoVersionFactory)
    asset = factory.LazyAttribute(lambda j: j.version.asset)
    attempt = 1


class UploadFactory(factory.django.DjangoModelFactory):
    """An upload row only (embedded mode, four parts of 1 MiB); no parts are stored."""

    class Meta:
        model = Upload

    uploaded_by = factory.SubFactory(UserFactory)
    key = factory.LazyFunction(lambda: f"uploads/{uuid.uuid4().hex}")
    filename = factory.Sequence(lambda n: f"{n}강 녹화본.mp4")
    size = 4 * 1024 * 1024
    part_size = 1024 * 1024
    backend = Upload.Backend.LOCAL
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))
