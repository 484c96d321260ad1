"""Writes to accounts."""

import json
import secrets
from pathlib import Path

from allauth.account.models import EmailAddress
from django.db import transaction

from .models import User

DEMO_ACCOUNTS = (
    ("admin@example.com", "관리자", {"is_staff": True, "is_superuser": True}),
    ("instructor@example.com", "김강사", {"is_instructor": True}),
    ("learner@example.com", "이학습", {}),
)


@transaction.atomic
def user_create_verified(
    *, email: str, password: str, display_name: str = "", **roles: bool
) -> User:
    """A member whose e-mail address is already verified (demo and staff-made accounts)."""
    user = User.objects.create_user(email=email, password=password, display_name=display_name)
    for field, value in roles.items():
        setattr(user, field, value)
    if roles:
        user.save(update_fields=list(roles))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


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
