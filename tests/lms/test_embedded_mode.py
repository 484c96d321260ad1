"""The embedded mode as users run it: `scripts/start.sh` in a var/ directory of the test's own,
on a free port, started twice."""

import http.client
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ask(port: int, method: str, path: str, *, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


@contextmanager
def _start_sh(var: Path, port: int) -> Iterator[None]:
    # Only what a user's shell has: none of the test settings' variables.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(PORT=str(port), LMS_VAR_DIR=str(var), STATIC_ROOT=str(var / "static"))
    log = (var / "start.log").open("ab")
    server = subprocess.Popen(
        ["scripts/start.sh"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, (var / "start.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "start.sh did not answer within 300 s"
            try:
                _ask(port, "GET", "/static/css/site.css")
                break
            except OSError:
                time.sleep(0.5)
        yield
    finally:
        # Ctrl-C's signal; a Celery worker still encoding the demo video finishes its task
        # first, which the test does not wait for.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
        log.close()


def _cookies(headers) -> str:
    return " ".join(headers.get_all("Set-Cookie") or [])


def _sign_in(port: int, email: str, password: str) -> str:
    _, headers, page = _ask(port, "GET", "/accounts/login/")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", _cookies(headers)).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = f"login={email}&password={password}&csrfmiddlewaretoken={token}"
    status, headers, _ = _ask(
        port,
        "POST",
        "/accounts/login/",
        body=form.replace("@", "%40"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    assert status == 302, status
    return re.search(r"sessionid=([^;]+)", _cookies(headers)).group(1)


def _signed_in_as(port: int, session: str) -> bool:
    _, _, page = _ask(port, "GET", "/", headers={"Cookie": f"sessionid={session}"})
    return 'class="who"' in page


def test_start_sh_runs_without_debug_with_the_platforms_pages_and_keeps_its_secret(tmp_path):
    port = _free_port()
    with _start_sh(tmp_path, port):
        status, headers, page = _ask(port, "GET", "/")
        assert status == 200
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"

        status, headers, page = _ask(port, "GET", "/no-such-page/")
        assert status == 404
        assert "<h1>페이지를 찾을 수 없습니다</h1>" in page
        assert "URLconf" not in page
        assert "DEBUG = True" not in page
        assert "Content-Security-Policy" in headers

        # No stored file is reachable by its path (issue 17, finding 2): an original upload
        # and a video segment laid where the storage keeps them still answer 404.
        for name in ("uploads/" + "0" * 32, "videos/1/1/360p/media.mp4"):
            stored = tmp_path / "media" / name
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(b"\x00\x00\x00\x18ftypmp42")
            status, _, page = _ask(port, "GET", "/media/" + name)
            assert status == 404
            assert "<h1>페이지를 찾을 수 없습니다</h1>" in page

        status, _, page = _ask(port, "GET", "/", headers={"Host": "evil.example"})
        assert status == 400
        assert "<h1>잘못된 요청입니다</h1>" in page

        status, _, page = _ask(port, "POST", "/accounts/login/", body="login=x")
        assert status == 403
        assert "<h1>보안 확인에 실패했습니다</h1>" in page

        key_file = tmp_path / "secret_key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text()
        accounts = json.loads((tmp_path / "demo-accounts.json").read_text())
        email, password = next(iter(accounts.items()))
        session = _sign_in(port, email, password)
        assert _signed_in_as(port, session)

        # No mail server configured: start.sh says mail is kept in the admin's outbox.
        deadline = time.monotonic() + 30
        while "메일:" not in (tmp_path / "start.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (
            "메일: 메일 서버가 설정되지 않아 관리자 화면의 보낸 메일함에 보관됩니다 "
            f"(http://127.0.0.1:{port}/admin/core/outboxmessage/)"
        ) in (tmp_path / "start.log").read_text()

    with _start_sh(tmp_path, port):
        assert key_file.read_text() == key
        # The session's signature (the member's auth hash) still checks: the same secret.
        assert _signed_in_as(port, session)
