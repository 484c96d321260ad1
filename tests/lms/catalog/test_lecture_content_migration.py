"""Chapters, captions and handouts moved from the studio app to the lecture's (issue 19): the
rows an installation already has are the rows it has after the move."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("catalog", "0003_lecture_pending_video"), ("studio", "0003_handouts_secure_stored")]
AFTER = [("catalog", "0004_lecture_content"), ("studio", "0004_lecture_content_to_catalog")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _schema_restored():
    """Back to the latest migrations afterwards: the next test on this database expects the
    whole schema (a column a later migration added, say)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_chapters_captions_and_handouts_stored_before_the_move_are_there_after_it():
    old = _migrate(BEFORE)
    Category = old.get_model("catalog", "Category")
    Course = old.get_model("catalog", "Course")
    Lecture = old.get_model("catalog", "Lecture")
    course = Course.objects.create(
        slug="qa", title="QA관리사", category=Category.objects.create(slug="qa", title="QA")
    )
    lecture = Lecture.objects.create(course=course, position=1, title="1강")
    old.get_model("studio", "LectureChapter").objects.create(
        lecture=lecture, start_seconds=30, title="도입"
    )
    old.get_model("studio", "LectureCaption").objects.create(
        lecture=lecture, language="ko", file="captions/1.vtt"
    )
    old.get_model("studio", "LectureAttachment").objects.create(
        lecture=lecture, title="교안", file="handouts/1.pdf", kind="pdf"
    )

    new = _migrate(AFTER)

    chapter = new.get_model("catalog", "LectureChapter").objects.get()
    assert (chapter.lecture_id, chapter.start_seconds, chapter.title) == (lecture.pk, 30, "도입")
    assert new.get_model("catalog", "LectureCaption").objects.get().file == "captions/1.vtt"
    assert new.get_model("catalog", "LectureAttachment").objects.get().title == "교안"
