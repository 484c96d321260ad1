"""Benchmark the resumable upload protocol against a plain copy into the same storage.

    .venv/bin/python scripts/bench_upload.py                       # 2 GB, 3 runs, both modes
    .venv/bin/python scripts/bench_upload.py --size-mb 512 --runs 1
    .venv/bin/python scripts/bench_upload.py --modes embedded --workers 2 --threads 4

It writes a file of random data in a temp dir, starts a real web server (gunicorn with the
platform's settings, lms/gunicorn_conf.py; Django settings from the environment, SQLite in a
temp LMS_VAR_DIR) and uploads the file through the platform's API on loopback, with a client
in this script that sends parts in parallel as the browser does (POST /parts/<n>/url, then PUT
the part; `socket.sendfile`, so the client costs little CPU):

* embedded: parts go to gunicorn, which streams them into place on disk; complete fsyncs and
  renames the file. Baseline: `shutil.copyfile` of the same file into MEDIA_ROOT, then fsync
  (the upload's complete makes the file durable too; the copy without fsync is also shown).
* s3: SeaweedFS started here (tests/s3.py's launcher); parts go straight to it with presigned
  URLs. Baseline: boto3 `upload_file` with the same part size and concurrency.

Runs alternate upload and baseline, each after a `sync`, so that both see the same page-cache
and writeback conditions. Throughput is size / wall time (create → complete for the upload).
The web server's memory: VmRSS of the gunicorn master and workers, sampled every 20 ms, against
their RSS after a warm-up; also each process's VmHWM (peak) growth.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
MIB = 1024 * 1024
HEAD = 64 * 1024


# --- the file ------------------------------------------------------------------------------


def make_file(path: Path, size: int) -> None:
    """Random-looking data, fast: a 16 MiB random block repeated, each copy stamped with its
    index so that no two parts are equal. Starts like an MP4 (the upload checks the head)."""
    block = bytearray(os.urandom(16 * MIB))
    block[:24] = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    with path.open("wb") as out:
        written = 0
        index = 0
        while written < size:
            if index:
                block[:8] = index.to_bytes(8, "little")
            chunk = memoryview(block)[: min(len(block), size - written)]
            out.write(chunk)
            written += len(chunk)
            index += 1


# --- the web server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(var_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.embedded",
        "DEBUG": "false",
        "LMS_VAR_DIR": str(var_dir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("DATABASE_URL", None)
    return env


SETUP_SCRIPT = """
import json
import django
django.setup()
from rest_framework.authtoken.models import Token
from lms.accounts.models import User
from lms.catalog.models import Category, Course, Lecture
user = User.objects.create_user(email="bench@example.com", password="bench-pass-123")
user.is_instructor = True
user.save()
category = Category.objects.create(slug="bench", title="bench")
course = Course.objects.create(category=category, slug="bench", title="bench")
course.instructors.add(user)
lecture = Lecture.objects.create(course=course, position=1, title="bench")
print(json.dumps({"token": Token.objects.create(user=user).key, "lecture": lecture.pk}))
"""


def prepare_database(env: dict[str, str]) -> dict[str, Any]:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [PYTHON, "-c", SETUP_SCRIPT], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return dict(json.loads(out.stdout.decode().strip().splitlines()[-1]))


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> Iterator[int]:
    # The platform's settings (lms/gunicorn_conf.py: lms.asgi under the asgi worker), with
    # `threads` threads for Django's requests in each worker (WEB_THREADS).
    argv = [
        str(Path(PYTHON).with_name("gunicorn")),
        "--config",
        "python:lms.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    env = {**env, "WEB_THREADS": str(threads)}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        pids.append(int(child))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (their threads included)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def proc_kib(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


@dataclass
class MemorySampler:
    pids: list[int]
    baseline_rss: dict[int, int] = field(default_factory=dict)
    baseline_hwm: dict[int, int] = field(default_factory=dict)
    peak_total_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.baseline_rss = {pid: proc_kib(pid, "VmRSS") for pid in self.pids}
        self.baseline_hwm = {pid: proc_kib(pid, "VmHWM") for pid in self.pids}
        self.peak_total_kib = sum(self.baseline_rss.values())

    def run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                total = sum(proc_kib(pid, "VmRSS") for pid in self.pids)
                self.peak_total_kib = max(self.peak_total_kib, total)
            time.sleep(0.02)

    @contextlib.contextmanager
    def sampling(self) -> Iterator[None]:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()

    def growth_mib(self) -> float:
        return (self.peak_total_kib - sum(self.baseline_rss.values())) / 1024

    def hwm_growth_mib(self) -> float:
        """The largest growth of one process's peak RSS over its RSS before the upload."""
        return max((proc_kib(pid, "VmHWM") - self.baseline_rss[pid]) / 1024 for pid in self.pids)


# --- the client ----------------------------------------------------------------------------


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, path, body=data, headers=self.headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
            return json.loads(payload) if payload else None
        finally:
            conn.close()


def put_part(url: str, path: Path, offset: int, size: int, headers: dict[str, str]) -> str:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.putrequest("PUT", target, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(size))
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        with path.open("rb") as handle:
            sent = conn.sock.sendfile(handle, offset, size)
        assert sent == size, (sent, size)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"PUT part: {response.status} {body[:300]!r}")
        return str(response.getheader("ETag"))
    finally:
        conn.close()


def upload(api: Api, lecture: int, path: Path, concurrency: int) -> dict[str, Any]:
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    created = api.call(
        "POST",
        "/api/v1/uploads",
        {
            "lecture": lecture,
            "filename": path.name,
            "size": size,
            "content_type": "video/mp4",
            "head": base64.b64encode(head).decode(),
        },
    )
    upload_id = created["id"]
    part_size = created["part_size"]

    def send(number: int) -> dict[str, Any]:
        target = api.call("POST", f"/api/v1/uploads/{upload_id}/parts/{number}/url")
        url = target["url"]
        if not target["direct"]:
            url = f"http://127.0.0.1:{api.port}{url}"
        headers = {} if target["direct"] else {"Authorization": api.headers["Authorization"]}
        etag = put_part(url, path, (number - 1) * part_size, target["size"], headers)
        return {"number": number, "etag": etag}

    with ThreadPoolExecutor(concurrency) as pool:
        parts = list(pool.map(send, range(1, created["parts_count"] + 1)))
    done = api.call("POST", f"/api/v1/uploads/{upload_id}/complete", {"parts": parts})
    assert done["upload"]["state"] == "completed", done
    return dict(created)


# --- one mode ------------------------------------------------------------------------------


@dataclass
class Run:
    upload_s: float
    baseline_s: float
    baseline_nosync_s: float | None
    rss_growth_mib: float
    hwm_growth_mib: float
    server_cpu_s: float


@dataclass
class ModeResult:
    mode: str
    size: int
    part_size: int = 0
    runs: list[Run] = field(default_factory=list)


def settle() -> None:
    os.sync()
    time.sleep(1)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def bench_mode(mode: str, source: Path, args: argparse.Namespace, work: Path) -> ModeResult:
    var_dir = work / f"var-{mode}"
    var_dir.mkdir()
    extra = {
        "UPLOAD_PART_SIZE": str(args.part_mb * MIB),
        "UPLOAD_CONCURRENCY": str(args.concurrency),
    }
    extra["MEDIA_MAX_UPLOAD_BYTES"] = str(max(source.stat().st_size * 2, 20 * 1024**3))
    with contextlib.ExitStack() as stack:
        s3_client = None
        bucket = ""
        if mode == "s3":
            from boto3.s3.transfer import TransferConfig

            from tests.s3 import seaweedfs

            seaweed_dir = work / "seaweedfs"
            seaweed_dir.mkdir()
            server = stack.enter_context(seaweedfs(seaweed_dir, bucket="lms-bench"))
            extra.update(
                {
                    "STORAGE_BACKEND": "s3",
                    "S3_BUCKET": server.bucket,
                    "S3_ENDPOINT_URL": server.endpoint_url,
                    "S3_ACCESS_KEY_ID": server.access_key,
                    "S3_SECRET_ACCESS_KEY": server.secret_key,
                }
            )
            s3_client = server.client()
            bucket = server.bucket
            transfer = TransferConfig(
                multipart_threshold=args.part_mb * MIB,
                multipart_chunksize=args.part_mb * MIB,
                max_concurrency=args.concurrency,
                use_threads=True,
            )
        env = server_env(var_dir, extra)
        setup = prepare_database(env)
        port = free_port()
        master = stack.enter_context(gunicorn(env, port, args.workers, args.threads))
        api = Api(port, setup["token"])
        # Warm up every worker (imports, first queries) before measuring memory.
        warm = work / "warm.bin"
        make_file(warm, 2 * MIB)
        with ThreadPoolExecutor(args.workers * 2) as pool:
            list(
                pool.map(lambda _: upload(api, setup["lecture"], warm, 1), range(args.workers * 2))
            )
        media = var_dir / "media"
        result = ModeResult(mode=mode, size=source.stat().st_size)
        for index in range(args.runs):
            settle()
            pids = process_tree(master)
            sampler = MemorySampler(pids)
            cpu_before = cpu_seconds(pids)
            started = time.perf_counter()
            with sampler.sampling():
                created = upload(api, setup["lecture"], source, args.concurrency)
            upload_s = time.perf_counter() - started
            server_cpu = cpu_seconds(pids) - cpu_before
            result.part_size = created["part_size"]
            rss, hwm = sampler.growth_mib(), sampler.hwm_growth_mib()
            settle()
            nosync_s: float | None = None
            if mode == "embedded":
                target = media / "bench-copy.bin"
                started = time.perf_counter()
                shutil.copyfile(source, target)
                fsync_path(target)
                baseline_s = time.perf_counter() - started
                target.unlink()
                settle()
                started = time.perf_counter()
                shutil.copyfile(source, target)
                nosync_s = time.perf_counter() - started
                target.unlink()
                for original in (media / "uploads").iterdir():
                    original.unlink()  # keep the disk from filling up run after run
            else:
                assert s3_client is not None
                started = time.perf_counter()
                s3_client.upload_file(str(source), bucket, "bench/copy.bin", Config=transfer)
                baseline_s = time.perf_counter() - started
                s3_client.delete_object(Bucket=bucket, Key="bench/copy.bin")
                listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="uploads/")
                for found in listed.get("Contents", []):
                    s3_client.delete_object(Bucket=bucket, Key=found["Key"])
            run = Run(upload_s, baseline_s, nosync_s, rss, hwm, server_cpu)
            result.runs.append(run)
            print(
                f"  {mode} run {index + 1}: upload {upload_s:.2f} s, baseline {baseline_s:.2f} s"
                + (f" (copy without fsync {nosync_s:.2f} s)" if nosync_s is not None else "")
                + f", web server CPU {server_cpu:.2f} s"
                + f", RSS growth {rss:.1f} MiB (peak HWM growth {hwm:.1f} MiB)",
                flush=True,
            )
    return result


def report(results: list[ModeResult], args: argparse.Namespace) -> None:
    print()
    print(
        f"size {args.size_mb} MiB, part {args.part_mb} MiB x {args.concurrency} in parallel, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {args.runs} run(s); "
        "medians (ratios per run, then the median); memory: the largest of the runs"
    )
    columns = ("mode", "upload MB/s", "baseline", "baseline MB/s", "ratio", "RSS +MiB", "HWM +MiB")
    rows: list[tuple[str, ...]] = []
    for result in results:
        mb = result.size / 1e6
        baselines = [
            (
                "copy+fsync" if result.mode == "embedded" else "boto3 upload_file",
                [r.baseline_s for r in result.runs],
            )
        ]
        if result.mode == "embedded":
            baselines.append(("copy, no fsync", [r.baseline_nosync_s or 0.0 for r in result.runs]))
        upload_rate = statistics.median(mb / r.upload_s for r in result.runs)
        rss = max(r.rss_growth_mib for r in result.runs)
        hwm = max(r.hwm_growth_mib for r in result.runs)
        for index, (name, times) in enumerate(baselines):
            ratio = statistics.median(
                t / r.upload_s for r, t in zip(result.runs, times, strict=True)
            )
            first = index == 0
            rows.append(
                (
                    result.mode if first else "",
                    f"{upload_rate:.0f}" if first else "",
                    name,
                    f"{statistics.median(mb / t for t in times):.0f}",
                    f"{ratio:.2f}",
                    f"{rss:.1f}" if first else "",
                    f"{hwm:.1f}" if first else "",
                )
            )
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    line = "  ".join(
        c.ljust(w) if i in (0, 2) else c.rjust(w)
        for i, (c, w) in enumerate(zip(columns, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                v.ljust(w) if i in (0, 2) else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print("targets: ratio >= 0.7 of the plain copy; web server RSS growth < 100 MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="embedded,s3")
    parser.add_argument("--part-mb", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lms-bench-upload-"))
    try:
        source = work / "lecture.mp4"
        print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
        print(f"writing {args.size_mb} MiB of random data to {source} ...", flush=True)
        make_file(source, args.size_mb * MIB)
        results = [
            bench_mode(mode.strip(), source, args, work) for mode in args.modes.split(",") if mode
        ]
        report(results, args)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
