"""Schemathesis over every operation of /api/schema/, as a learner, an instructor and staff.

The app runs in-process as a WSGI server runs it (Django's own WSGI handler, every middleware,
committed data: `transactional_db`), with real data present: a published course whose first
lecture has a transcoded video, the learner's progress on it, and an upload the instructor
started. Each generated case is sent as generated, and again with its path ids pointing at
that data, so that the fuzzed bodies and queries reach real objects too.

Checks: no 5xx, and every response is documented (status code, content type, body schema).
The figures (operations, examples, failures per role) are printed at the end of the run
(tests/conftest.py, `pytest_terminal_summary`).
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from lms.catalog.models import Lecture
from lms.media.models import Upload
from tests.factories import UserFactory
from tests.lms.learning.conftest import HEARTBEATS_URL, report
from tests.lms.media.uploading import fake_video, start

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROLES = ("learner", "instructor", "staff")

CONFIG = SchemathesisConfig.from_dict(
    {
        # A fixed seed and no example database: the same cases on every run and machine.
        "seed": 20261203,
        "generation": {
            "max-examples": 15,
            "deterministic": True,
            "database": "none",
            # The token each role sends is the auth under test, not a generated one.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture
def fuzz_data(ready_lecture: Lecture, instructor, staff) -> dict[str, Any]:
    """The data the cases meet, and each role's API token."""
    course = ready_lecture.course
    course.instructors.add(instructor)
    learner = UserFactory()
    learner_client = Client()
    learner_client.force_login(learner)
    heartbeat = learner_client.post(
        HEARTBEATS_URL, report(ready_lecture, ranges=[[0, 2]]), content_type="application/json"
    )
    assert heartbeat.status_code == 200, heartbeat.content
    instructor_client = Client()
    instructor_client.force_login(instructor)
    started = start(instructor_client, ready_lecture.course.lectures.last(), fake_video(4096))
    assert started.status_code == 201, started.content
    upload = Upload.objects.get()
    users = {"learner": learner, "instructor": instructor, "staff": staff}
    return {
        "tokens": {role: Token.objects.create(user=user).key for role, user in users.items()},
        "ids": {
            "lecture_id": ready_lecture.pk,
            "course_id": course.pk,
            "upload_id": upload.pk,
            "asset_id": ready_lecture.video_id,
            "number": 1,
            "slug": course.slug,
        },
    }


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tally(role: str, record_property) -> Iterator[dict[str, Any]]:
    """This operation's figures, handed to the terminal summary when the test ends."""
    counts: dict[str, Any] = {"role": role, "examples": 0, "failed": 0}
    yield counts
    record_property("api_fuzz", counts)


@schema.parametrize()
# The fixtures hold data every example may meet (and change): that they are not reset
# between examples is intended.
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, role, fuzz_data, tally):
    caches["default"].clear()  # a rate limit met is documented (429), but stops the fuzzing
    headers = {"Authorization": f"Token {fuzz_data['tokens'][role]}"}
    try:
        tally["examples"] += 1
        case.call_and_validate(headers=headers, checks=CHECKS)
        known = {name: fuzz_data["ids"][name] for name in case.path_parameters or {}}
        if known:
            case.path_parameters = {**case.path_parameters, **known}
            tally["examples"] += 1
            case.call_and_validate(headers=headers, checks=CHECKS)
    except BaseException:
        tally["failed"] = 1
        raise
