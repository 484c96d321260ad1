"""The demo accounts: an admin, an instructor and a learner, with random passwords kept outside
git so that running the set-up again prints the same ones."""

import json
import secrets
from pathlib import Path

from lms.accounts.models import User
from lms.accounts.services import user_create_verified

DEMO_ACCOUNTS: tuple[tuple[str, str, dict[str, bool]], ...] = (
    ("admin@example.com", "관리자", {"is_staff": True, "is_superuser": True}),
    ("instructor@example.com", "김강사", {"is_instructor": True}),
    ("learner@example.com", "이학습", {}),
)


def demo_accounts_ensure(*, secrets_file: Path) -> dict[str, str]:
    """Create the demo admin, instructor and learner once; passwords are random and kept in
    `secrets_file` (outside git) so that running set-up again prints the same ones."""
    known: dict[str, str] = {}
    if secrets_file.exists():
        known = json.loads(secrets_file.read_text(encoding="utf-8"))
    for email, name, roles in DEMO_ACCOUNTS:
        if User.objects.filter(email=email).exists():
            continue
        known[email] = secrets.token_urlsafe(9)
        user_create_verified(email=email, password=known[email], display_name=name, **roles)
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    secrets_file.write_text(json.dumps(known, indent=2), encoding="utf-8")
    secrets_file.chmod(0o600)
    return known
