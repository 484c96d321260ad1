"""gunicorn with the platform's settings spreads keep-alive connections over its workers."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

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
    server = subprocess.Popen(
        argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    conns: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while _listening(port) < 2:
            assert server.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "the workers did not listen within 30 s"
            time.sleep(0.1)
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


def test_threads_per_worker_come_from_web_threads(monkeypatch):
    import importlib

    import lms.gunicorn_conf as conf

    monkeypatch.setenv("WEB_THREADS", "1")
    assert importlib.reload(conf).threads == 1
    monkeypatch.delenv("WEB_THREADS")
    assert importlib.reload(conf).threads == 4
