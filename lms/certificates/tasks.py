"""Celery tasks of the certificates app: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task
def certificates_sync() -> dict[str, int]:
    """Revoke certificates whose completion was invalidated, then issue the ones earned and
    not yet issued (scheduled every few minutes; safe to run twice and at once)."""
    revoked = services.certificates_revoke_invalidated()
    issued = services.certificates_issue_pending()
    return {"revoked": revoked, "issued": issued}
