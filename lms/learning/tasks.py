"""Celery tasks of the learning app: thin wrappers around services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import services


@shared_task
def heartbeat_sessions_prune() -> int:
    """Forget player sessions older than HEARTBEAT_SESSION_DAYS (scheduled daily)."""
    return services.heartbeat_sessions_prune(
        older_than=timedelta(days=settings.HEARTBEAT_SESSION_DAYS)
    )
