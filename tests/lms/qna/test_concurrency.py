"""Edits at the same moment, with real threads and row locks (PostgreSQL)."""

import pytest
from django.db import connection

from lms.qna import services
from lms.qna.models import Revision
from tests.lms.community.test_concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so two threads cannot race there",
    ),
]


def test_two_edits_at_once_keep_every_earlier_text(lecture, asker):
    question = services.question_ask(member=asker, lecture=lecture, body="처음 질문")
    run_at_once(
        lambda: services.question_edit(member=asker, question=question, body="고친 질문 A"),
        lambda: services.question_edit(member=asker, question=question, body="고친 질문 B"),
    )
    question.refresh_from_db()
    earlier = list(Revision.objects.filter(question=question).values_list("body", flat=True))
    assert sorted(earlier) == sorted({"처음 질문", "고친 질문 A", "고친 질문 B"} - {question.body})
