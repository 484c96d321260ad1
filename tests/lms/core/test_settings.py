import os
import secrets
import subprocess
import sys
from pathlib import Path

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
