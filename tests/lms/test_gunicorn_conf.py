"""gunicorn with the platform's settings: it serves the platform's application, and spreads
keep-alive connections over its workers."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

GUNICORN = Path(sys.executable).parent / "gunicorn"

# A WSGI app that answers with the id of the process that serves it.
PID_APP = """
import os

def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from /proc"
)


def _listening(port: int) -> int:
    local = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == local and line.split()[3] == "0A")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_pid(conn: socket.socket) -> str:
    conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
        chunk = conn.recv(4096)
        assert chunk, "the server closed the connection"
        answer += chunk
    return answer.split(b"\r\n\r\n", 1)[1].decode()


def test_keep_alive_connections_are_spread_over_the_workers(tmp_path):
    # Opened together, as a proxy's pool or players starting at once do: on one shared
    # socket most of them went to one worker (51/13, 64/0 measured), leaving the other idle.
    (tmp_path / "pid_app.py").write_text(PID_APP)
    port = _free_port()
    argv = [
        str(GUNICORN),
        "--config",
        "python:lms.gunicorn_conf",
        "--pythonpath",
        str(tmp_path),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--keep-alive",
        "30",
        "pid_app:app",
    ]
    server = _start(argv, port, 2)
    conns: list[socket.socket] = []
    try:
        conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]
        served = Counter(_server_pid(conn) for conn in conns)
        # Each connection stays with the worker that accepted it.
        assert Counter(_server_pid(conn) for conn in conns) == served
    finally:
        for conn in conns:
            conn.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert len(served) == 2
    # Spread by the kernel's hash of each connection: 100/100 on average (standard deviation
    # 7), below 70 for one worker about once in 60,000 runs.
    assert min(served.values()) >= 70, served


def _start(argv: list[str], port: int, workers: int, env: dict[str, str] | None = None) -> Any:
    server = subprocess.Popen(
        argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    deadline = time.monotonic() + 30
    while _listening(port) < workers:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, "the workers did not listen within 30 s"
        time.sleep(0.1)
    return server


def _ask(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _platform(tmp_path: Path, *, shell: str = "") -> tuple[int, Any, Path, str]:
    """gunicorn serving the platform's application with its settings and one worker, as
    scripts/start.sh runs it, on a SQLite database of its own (migrated), with what `shell`
    (Python run by `manage.py shell` first) printed."""
    port = _free_port()
    db = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "LMS_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{db}",
    }
    python = Path(sys.executable)
    for command in ("migrate", "createcachetable"):
        subprocess.run(
            [str(python), "manage.py", command, "-v0"],
            env=env,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
    printed = ""
    if shell:
        printed = (
            subprocess.run(
                [str(python), "manage.py", "shell", "-c", shell],
                env=env,
                check=True,
                cwd=Path(__file__).resolve().parents[2],
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    argv = [str(GUNICORN), "--config", "python:lms.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]
    return port, _start([*argv, "--workers", "1"], port, 1, env), db, printed


def _heartbeat(key: bytes) -> bytes:
    body = b'{"lecture": 1}'
    return (
        b"POST /api/v1/progress/heartbeats HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Heartbeat %s\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (key, len(body), body)
    )


STATIC = b"GET /static/js/player.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def test_the_platforms_application_is_served(tmp_path):
    """lms.wsgi:application under the platform's settings: a heartbeat, an API request and
    a static file, all by Django."""
    port, server, _db, _printed = _platform(tmp_path)
    try:
        forged = _ask(port, _heartbeat(b"forged:key:abc"))
        api = _ask(
            port,
            b"GET /api/v1/progress/lectures/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Connection: close\r\n\r\n",
        )
        static = _ask(port, STATIC)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert forged[0] == 403
    assert json.loads(forged[2])["code"] == "authentication_failed"
    assert forged[1]["x-content-type-options"] == "nosniff"
    assert api[0] == 403  # Django and DRF: no credentials
    player = Path(__file__).resolve().parents[2] / "lms" / "static" / "js" / "player.js"
    assert static[0] == 200
    assert static[2] == player.read_bytes()


def test_a_request_waiting_on_the_database_holds_up_only_its_own_thread(tmp_path):
    """Found in review: heartbeats answered on the event loop stopped every request of the
    worker while one waited on the database. Under the threaded worker, a heartbeat blocked
    on the database (here on the SQLite write lock, held by another connection) leaves the
    others answered."""
    import sqlite3
    import threading

    member = (
        "from lms.accounts.models import User; from lms.learning.auth import heartbeat_key_make;"
        "print(heartbeat_key_make(User.objects.create_user(email='w@example.com',"
        " password='long-enough-password')))"
    )
    port, server, db, key = _platform(tmp_path, shell=member)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # no one else reads or writes until it ends
        blocked: list[Any] = []
        waiting = threading.Thread(
            target=lambda: blocked.append(_ask(port, _heartbeat(key.encode())))
        )
        waiting.start()
        time.sleep(1.0)
        assert not blocked, "the heartbeat should be waiting on the database"
        started = time.monotonic()
        static = _ask(port, STATIC)
        answered_in = time.monotonic() - started
        assert not blocked
        holder.execute("ROLLBACK")
        waiting.join(timeout=30)
    finally:
        holder.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert static[0] == 200
    assert answered_in < 5, answered_in
    assert blocked
    assert blocked[0][0] == 400


def test_threads_per_worker_come_from_web_threads(monkeypatch):
    import importlib

    import lms.gunicorn_conf

    monkeypatch.setenv("WEB_THREADS", "1")
    assert importlib.reload(lms.gunicorn_conf).threads == 1
    monkeypatch.delenv("WEB_THREADS")
    assert importlib.reload(lms.gunicorn_conf).threads == 4
    assert lms.gunicorn_conf.worker_class == "gthread"
