"""Finding 4 of issue 17: an id outside the database's range is a 404, not an OverflowError
500 (on SQLite and on PostgreSQL)."""

import pytest
from django.test import Client
from django.urls import reverse

from lms.core.converters import MAX_DATABASE_ID, database_id

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["99999999999999999999", str(MAX_DATABASE_ID + 1), "0", "9" * 400]


@pytest.fixture
def client(staff) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(staff)
    return client


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize(
    "route",
    [
        "/api/v1/progress/lectures/{}",
        "/api/v1/progress/courses/{}",
        "/api/v1/uploads/{}",
        "/api/v1/uploads/{}/parts/1/url",
        "/api/v1/videos/{}/status",
        "/play/lectures/{}/master.m3u8",
        "/play/lectures/{}/storyboard.vtt",
        "/play/lectures/1/v{}/360p/index.m3u8",
        "/studio/courses/{}/",
        "/studio/courses/1/lectures/{}/",
        "/studio/review/{}/",
        "/staff/applications/{}/decide/",
    ],
)
def test_an_id_outside_the_database_range_is_a_404(client, route, number):
    response = client.get(route.format(number))

    assert response.status_code == 404


def test_the_largest_id_is_looked_up_and_not_found(client):
    response = client.get(f"/api/v1/progress/lectures/{MAX_DATABASE_ID}")

    assert response.status_code == 404
    assert response.json()["code"] == "lecture_not_found"


def test_id_routes_still_reverse_and_resolve_with_real_ids(client, ready_lecture):
    url = reverse("api-progress-lecture", kwargs={"lecture_id": ready_lecture.pk})

    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (str(MAX_DATABASE_ID), MAX_DATABASE_ID),
        ("0", None),
        ("-1", None),
        ("1e3", None),
        (str(MAX_DATABASE_ID + 1), None),
        ("٣", None),
        ("", None),
    ],
)
def test_database_id_takes_decimal_numbers_in_the_bigint_range_only(value, expected):
    assert database_id(value) == expected


def test_the_schema_documents_path_ids_as_bounded_integers(client):
    schema = client.get("/api/schema/?format=json").json()

    [param] = schema["paths"]["/api/v1/progress/lectures/{lecture_id}"]["get"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_DATABASE_ID}
