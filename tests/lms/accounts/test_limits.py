"""Sign-in, sign-up and password-reset limits (ACCOUNT_RATE_LIMITS) are counted in
CACHES["default"], which every web process shares, and the admin signs in through the same
limited sign-in."""

import http.client
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail
from django.db import connection

from lms.accounts.services import user_create_verified
from tests.lms.test_gunicorn_conf import GUNICORN, _free_port, _start

LOCKED = "로그인에 너무 여러 번 실패하셨습니다"
TOO_MANY = "짧은 시간에 너무 여러 번 시도하셨습니다"


def _cache_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM lms_cache")
        return int(cursor.fetchone()[0])


def _database_url() -> str:
    """The URL of this test's database, for a server in another process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class TwoWorkers:
    """gunicorn with two worker processes and the embedded settings on this test's database.
    Every request is a connection of its own (the kernel spreads them over the workers); the
    access log says which worker answered each."""

    def __init__(self, var_dir: Path) -> None:
        self.port = _free_port()
        self.log = var_dir / "access.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lms.settings.embedded",
            "LMS_VAR_DIR": str(var_dir),
            "DATABASE_URL": _database_url(),
            # DEBUG is off in the embedded mode: pages need the collected, hashed static files.
            "STATIC_ROOT": str(var_dir / "static"),
        }
        subprocess.run(
            [str(GUNICORN.parent / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env,
            check=True,
            cwd=Path(__file__).resolve().parents[3],
        )
        argv = [
            str(GUNICORN),
            "--config",
            "python:lms.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--access-logfile",
            str(self.log),
            "--access-logformat",
            "%({x-probe}i)s %(p)s",
        ]
        self.server = _start(argv, self.port, 2, env)
        self.sent = 0
        self.csrf = ""

    def stop(self) -> None:
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(timeout=30)

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        """(status, body, the pid of the worker that answered)."""
        self.sent += 1
        probe = str(self.sent)
        headers = {"X-Probe": probe, "Connection": "close"}
        body = None
        if self.csrf:
            headers["Cookie"] = f"csrftoken={self.csrf}"
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                if found := re.match(r"csrftoken=([^;]+)", cookie):
                    self.csrf = found.group(1)
        finally:
            conn.close()
        return response.status, text, self._answered_by(probe)

    def _answered_by(self, probe: str) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = self.log.read_text().splitlines() if self.log.exists() else []
            for line in lines:
                if line.split()[0] == probe:
                    return line.split()[1]
            time.sleep(0.05)
        raise AssertionError(f"request {probe} is not in the access log")


@pytest.fixture
def two_workers(tmp_path):
    server = TwoWorkers(tmp_path)
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_lock_the_account_on_every_web_process(two_workers):
    """6 wrong passwords, then the right one on each of the two workers: refused on both,
    with the reason in Korean. Counted per process, a worker that saw fewer than 5 of the
    wrong ones (one of them always did) let the right password in."""
    user = user_create_verified(email="lock@example.com", password="right-pass-2026")
    # A hash the servers' settings read (the test settings hash with MD5, which they do not).
    user.password = PBKDF2PasswordHasher().encode("right-pass-2026", "salt-1234", 1000)
    user.save(update_fields=["password"])
    status, _, _ = two_workers.request("GET", "/accounts/login/")
    assert status == 200
    assert two_workers.csrf
    right_password = {"login": "lock@example.com", "password": "right-pass-2026"}
    status, _, _ = two_workers.request("POST", "/accounts/login/", right_password)
    assert status == 302  # it signs in (and clears nothing: no failure was counted yet)

    wrong = []
    for _ in range(6):
        wrong.append(
            two_workers.request(
                "POST", "/accounts/login/", {"login": "lock@example.com", "password": "nope-1"}
            )
        )
    assert [status for status, _, _ in wrong] == [200] * 6
    assert LOCKED not in wrong[4][1]
    assert LOCKED in wrong[5][1]  # the 6th, on whichever worker it went to

    right: dict[str, tuple[int, str]] = {}
    for _ in range(20):
        status, body, pid = two_workers.request("POST", "/accounts/login/", right_password)
        right[pid] = (status, body)
        if len(right) == 2:
            break
    assert len(right) == 2, "every attempt went to one worker"
    for status, body in right.values():
        assert status == 200  # the form again, not the redirect of a signed-in member
        assert LOCKED in body


@pytest.mark.django_db
def test_the_admin_signs_in_through_the_limited_sign_in(client, staff):
    """/admin/login/ sends to the site's sign-in with next=; its own form, which counted
    nothing, takes no password (15 wrong in 23 s were all answered)."""
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"

    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_staff_reach_the_admin_after_signing_in(client):
    staff = user_create_verified(email="staff@example.com", password="staff-pass-2026")
    staff.is_staff = staff.is_superuser = True
    staff.save()

    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": "staff@example.com", "password": "staff-pass-2026", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Signed in, the admin's login page goes on to the admin.
    assert client.get("/admin/login/?next=/admin/").status_code == 302


@pytest.mark.django_db
def test_wrong_admin_passwords_lock_the_staff_account(client):
    staff = user_create_verified(email="boss@example.com", password="staff-pass-2026")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    login = "/accounts/login/?next=/admin/"
    for _ in range(5):
        client.post(login, {"login": "boss@example.com", "password": "guess", "next": "/admin/"})

    response = client.post(
        login, {"login": "boss@example.com", "password": "staff-pass-2026", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _cache_rows() > 0  # counted in the shared table, not in this process


@pytest.mark.django_db
def test_password_resets_for_one_address_are_limited_in_the_shared_cache(client):
    """3 reset mails to one address in 15 minutes; the 4th request is a Korean 429 page
    and sends nothing."""
    user_create_verified(email="reset@example.com", password="old-pass-9911")
    statuses = [
        client.post("/accounts/password/reset/", {"email": "reset@example.com"}).status_code
        for _ in range(3)
    ]
    assert statuses == [302] * 3
    assert len(mail.outbox) == 3

    response = client.post("/accounts/password/reset/", {"email": "Reset@Example.com"})
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert len(mail.outbox) == 3
    assert _cache_rows() > 0


@pytest.mark.django_db
def test_signups_from_one_address_are_limited_in_the_shared_cache(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}

    def signup(email: str):
        password = "고객만족-2026!"
        form = {
            "email": email,
            "password1": password,
            "password2": password,
            "display_name": "새회원",
            "terms": "on",
            "privacy": "on",
        }
        return client.post("/accounts/signup/", form)

    for n in range(2):
        assert signup(f"new{n}@example.com").status_code == 302
        client.post("/accounts/logout/")

    response = signup("new9@example.com")
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert _cache_rows() > 0


def test_the_default_cache_is_shared_by_every_process(tmp_path):
    """The embedded mode counts in the database; CACHE_URL (or its old name,
    THROTTLE_CACHE_URL) puts the counts in Redis."""
    script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"

    def backend(**env: str) -> str:
        names = ("CACHE_URL", "THROTTLE_CACHE_URL")
        clean = {k: v for k, v in os.environ.items() if k not in names}
        clean.update(env, DJANGO_SETTINGS_MODULE="lms.settings.embedded", LMS_VAR_DIR=str(tmp_path))
        out = subprocess.run(
            [str(GUNICORN.parent / "python"), "-c", f"import django; django.setup(); {script}"],
            env=clean,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    assert backend() == "django.core.cache.backends.db.DatabaseCache"
    redis = "django_redis.cache.RedisCache"
    assert backend(CACHE_URL="redis://127.0.0.1:6379/15") == redis
    assert backend(THROTTLE_CACHE_URL="redis://127.0.0.1:6379/15") == redis
