import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _production_env(**env: str) -> dict[str, str]:
    """Only what a production host sets: not the relaxed values the test settings export."""
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    clean.update(DJANGO_SETTINGS_MODULE="lms.settings.production", **env)
    return clean


def _run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=_production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="lms.example.org",
        LMS_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = _run(["manage.py", "check"], LMS_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_s3_storage_is_chosen_by_the_environment(tmp_path):
    code = (
        "import django; django.setup(); from django.core.files.storage import storages;"
        "s = storages['default']; print(type(s).__name__, s.bucket_name)"
    )
    result = _run(
        ["-c", code],
        SECRET_KEY=secrets.token_urlsafe(50),
        STORAGE_BACKEND="s3",
        S3_BUCKET="lectures",
        S3_ENDPOINT_URL="http://127.0.0.1:9",
        LMS_VAR_DIR=str(tmp_path),
    )
    assert result.stdout.split() == ["S3Storage", "lectures"], result.stderr


def _bare_env(**env: str) -> dict[str, str]:
    """What a host has before it sets anything for the platform (no settings module)."""
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    clean.update(env)
    return clean


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_bare_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps([s.SETTINGS_MODULE, s.DEBUG, s.SECRET_KEY, s.ALLOWED_HOSTS]))"
)
# Loading each entry point as its server does (the Celery worker reads the settings first).
ENTRY_POINTS = [
    "import lms.wsgi",
    "from lms.celery import app; app.loader.import_default_modules()",
]
PUBLISHED_KEY = "insecure-local-only-key-change-me-in-production-0123456789"


def _embedded(tmp_path: Path, **env: str) -> list:
    result = _python(
        SHOW_SETTINGS,
        DJANGO_SETTINGS_MODULE="lms.settings.embedded",
        LMS_VAR_DIR=str(tmp_path),
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_settings_run_without_debug_on_a_key_of_the_installation(tmp_path):
    _, debug, key, hosts = _embedded(tmp_path)
    assert debug is False
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) >= 50
    assert key != PUBLISHED_KEY
    # -e: a key may start with "-", which git would read as an option.
    tracked = subprocess.run(["git", "grep", "-qF", "-e", key], cwd=ROOT, check=False)
    assert tracked.returncode == 1  # not in the repository
    assert hosts == ["127.0.0.1", "localhost", "[::1]"]
    # The next start, and every other process of the installation, uses the same key.
    assert _embedded(tmp_path)[2] == key
    assert _embedded(tmp_path / "other")[2] != key


def test_embedded_settings_add_the_operators_hosts_and_debug_only_when_asked(tmp_path):
    _, debug, _, hosts = _embedded(tmp_path, ALLOWED_HOSTS="lms.example.org", DEBUG="true")
    assert debug is True
    assert hosts == ["127.0.0.1", "localhost", "[::1]", "lms.example.org"]


def test_an_embedded_key_set_by_the_operator_is_used(tmp_path):
    assert _embedded(tmp_path, SECRET_KEY="operator-key-" + "x" * 50)[2].startswith("operator")
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("code", ENTRY_POINTS)
def test_entry_points_refuse_to_start_without_a_secret_key(tmp_path, code):
    result = _python(code, LMS_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set." in result.stderr
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("code", ENTRY_POINTS)
def test_entry_points_default_to_the_production_settings(tmp_path, code):
    key = secrets.token_urlsafe(50)
    result = _python(f"{code}; {SHOW_SETTINGS}", SECRET_KEY=key, LMS_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    module, debug, used_key, _ = json.loads(result.stdout.splitlines()[-1])
    assert (module, debug, used_key) == ("lms.settings.production", False, key)


def test_the_development_tools_default_to_the_embedded_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=_bare_env(LMS_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    module, debug, _, _ = json.loads(result.stdout.splitlines()[-1])
    assert (module, debug) == ("lms.settings.embedded", False)
