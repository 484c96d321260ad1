"""The embedded mode: what `scripts/start.sh` runs, and what the development tools (manage.py)
use by default. One machine, SQLite, local files and a filesystem queue in `var/`, http on
127.0.0.1 (a proxy in front for anything else).

It is a deployment a small community may run for real: DEBUG stays off unless a developer asks
for Django's debug pages (`DEBUG=true`), and the secret key is this installation's own, made
once and kept in `var/secret_key` (readable by its owner only), never in the repository.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The host names a browser on this machine uses; the operator adds theirs with ALLOWED_HOSTS.
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


def installation_secret_key(var_dir: Path) -> str:
    """The key in `var_dir/secret_key`, made the first time with mode 0600.

    Safe when several processes start at once (the web workers and the Celery worker): the key
    is written to a file of this process's own and linked into place, so the first link wins
    and every process reads the same, complete key.
    """
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        draft = var_dir / f".secret_key.{secrets.token_hex(8)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it and a new key is made.")
    return key


_var_dir = Path(
    os.environ.get("LMS_VAR_DIR") or Path(__file__).resolve().parent.parent.parent / "var"
)
if not os.environ.get("SECRET_KEY"):
    os.environ["SECRET_KEY"] = installation_secret_key(_var_dir)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from .base import *  # noqa: E402, F403
from .base import ALLOWED_HOSTS  # noqa: E402

ALLOWED_HOSTS = [*LOCAL_HOSTS, *(host for host in ALLOWED_HOSTS if host not in LOCAL_HOSTS)]

# Without a mail server the platform's mail is kept in the database, where staff read it in
# the admin (lms.core.mail); with EMAIL_HOST set it goes out by SMTP (base.py's default).
# Checked after base.py, which has read .env into the environment.
if not os.environ.get("EMAIL_HOST") and not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = "lms.core.mail.OutboxEmailBackend"
