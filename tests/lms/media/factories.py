import uuid

import factory

from lms.media.models import TranscodeJob, VideoAsset, VideoVersion
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
