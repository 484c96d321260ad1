"""The Content-Security-Policy on the platform's pages and the violation reports endpoint."""

import json
import logging

import pytest
from django.test import Client, override_settings


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("url", ["/", "/courses/", "/accounts/login/", "/no-such-page/"])
def test_every_page_has_a_policy_without_unsafe_inline(db, url):
    policy = _policy(Client().get(url))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "blob:" in policy["media-src"]
    assert "blob:" in policy["connect-src"]
    assert policy["report-uri"] == ["/csp-report/"]


def test_the_admin_and_the_api_docs_have_the_policy(staff_client):
    for url in ("/admin/", "/api/docs/"):
        assert "'unsafe-inline'" not in staff_client.get(url)["Content-Security-Policy"]


def test_the_api_docs_page_loads_its_script_from_a_url(db):
    page = Client().get("/api/docs/").content.decode()
    assert "<style>" not in page
    assert "<script>" not in page
    assert '<script src="/api/docs/?script="></script>' in page
    script = Client().get("/api/docs/?script=")
    assert script["Content-Type"] == "application/javascript"
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.s3
def test_in_s3_mode_the_storage_origin_may_serve_media_and_take_uploads(db, s3_storage, s3_server):
    policy = _policy(Client().get("/"))
    for directive in ("img-src", "media-src", "connect-src"):
        assert s3_server.endpoint_url in policy[directive]
    assert s3_server.endpoint_url not in policy["script-src"]


@pytest.mark.s3
def test_a_custom_domain_in_front_of_s3_is_the_origin(db, s3_server, settings):
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(custom_domain="media.example.org"),
        },
    }
    with override_settings(STORAGES=storages):
        policy = _policy(Client().get("/"))
    assert "https://media.example.org" in policy["media-src"]
    assert s3_server.endpoint_url not in policy["media-src"]


REPORT = {
    "csp-report": {
        "document-uri": "http://127.0.0.1:8000/courses/",
        "effective-directive": "script-src-elem",
        "violated-directive": "script-src-elem",
        "blocked-uri": "inline",
        "line-number": 12,
    }
}


def _post_report(client: Client, body: bytes | str, **extra):
    return client.post("/csp-report/", body, content_type="application/csp-report", **extra)


def test_a_violation_report_is_logged(db, caplog):
    client = Client(enforce_csrf_checks=True)  # browsers send no CSRF token with reports
    with caplog.at_level(logging.WARNING, logger="lms.csp"):
        response = _post_report(client, json.dumps(REPORT))
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "lms.csp"]
    logged = json.loads(record.getMessage().removeprefix("CSP violation: "))
    assert logged["blocked-uri"] == "inline"
    assert logged["document-uri"] == "http://127.0.0.1:8000/courses/"


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", '{"csp-report": "x"}', "[" * 10_000, '{"a": 1}']
)
def test_a_malformed_report_is_refused_with_400(db, caplog, body):
    with caplog.at_level(logging.WARNING, logger="lms.csp"):
        assert _post_report(Client(), body).status_code == 400
    assert not [r for r in caplog.records if r.name == "lms.csp"]


def test_a_report_over_the_size_limit_is_refused_unread(db, settings, caplog):
    settings.CSP_REPORT_MAX_BYTES = 1000
    big = {"csp-report": {**REPORT["csp-report"], "script-sample": "x" * 1000}}
    with caplog.at_level(logging.WARNING, logger="lms.csp"):
        assert _post_report(Client(), json.dumps(big)).status_code == 413
    assert not [r for r in caplog.records if r.name == "lms.csp"]


def test_reports_are_limited_per_client(db, settings, caplog):
    settings.CSP_REPORTS_PER_MINUTE = 3
    client = Client()
    with caplog.at_level(logging.WARNING, logger="lms.csp"):
        answers = [
            _post_report(client, json.dumps(REPORT), REMOTE_ADDR="192.0.2.7").status_code
            for _ in range(5)
        ]
        other = _post_report(client, json.dumps(REPORT), REMOTE_ADDR="192.0.2.8").status_code
    assert answers == [204, 204, 204, 429, 429]
    assert other == 204
    assert len([r for r in caplog.records if r.name == "lms.csp"]) == 4


def test_the_report_endpoint_takes_only_post(db):
    assert Client().get("/csp-report/").status_code == 405
