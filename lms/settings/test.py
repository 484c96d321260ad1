"""Test run: the same settings as production, with what a test machine needs."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
if not os.environ.get("LMS_VAR_DIR"):
    os.environ["LMS_VAR_DIR"] = tempfile.mkdtemp(prefix="lms-test-var-")

from .base import *  # noqa: F403
from .base import STORAGES

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests check the behaviour of hashed static names only where they say so.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
CELERY_TASK_ALWAYS_EAGER = False
# Serve static files straight from the finders (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# SQLite's in-memory test database is shared between threads through a shared cache whose
# table locks fail at once ("database table is locked") when the live server used by the
# browser tests answers several requests while a test reads. A file with WAL and a busy
# timeout (base.py) waits instead, as the real embedded mode does.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["LMS_VAR_DIR"], "test-db.sqlite3")
    }
