"""What Schemathesis found in the API schema: errors the API answers but did not document, and
HTML 404 pages under /api/v1/ for paths no route takes."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(client: Client) -> dict:
    return client.get("/api/schema/?format=json").json()


def _error_schema(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_every_operation_documents_the_403_of_a_bad_token(schema):
    operations = [op for methods in schema["paths"].values() for op in methods.values()]

    assert operations
    for operation in operations:
        assert "403" in operation["responses"], operation["operationId"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/courses/", "get", ["404"]),  # a page past the end
        ("/api/v1/courses/{slug}/", "get", ["404"]),
        ("/api/v1/me/preferences", "patch", ["400", "413", "415"]),
        ("/api/v1/uploads/{upload_id}", "get", ["404"]),
        ("/api/v1/videos/{asset_id}/status", "get", ["404"]),
    ],
)
def test_operations_document_the_errors_they_answer_in_the_error_shape(
    schema, path, method, statuses
):
    operation = schema["paths"][path][method]

    for status in statuses:
        assert _error_schema(operation, status) == ERROR, status
    assert schema["components"]["schemas"]["Error"]["required"] == ["message", "code", "extra"]


def test_a_view_keeps_the_errors_it_documents_itself(schema):
    heartbeats = schema["paths"]["/api/v1/progress/heartbeats"]["post"]["responses"]

    assert heartbeats["429"]["description"] == "Too many heartbeats."
    assert heartbeats["400"]["description"] == "Invalid report; nothing was stored."


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/progress/courses/9223372036854775808"),
        ("post", "/api/v1/uploads/99999999999999999999/complete"),
        ("get", "/api/v1/no-such-thing"),
        ("delete", "/api/v1/"),
    ],
)
def test_a_path_no_api_route_takes_is_a_json_404_in_the_error_shape(client, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "찾을 수 없습니다.", "code": "not_found", "extra": {}}
