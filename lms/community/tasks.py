import smtplib

from celery import shared_task

from . import notifications, services


@shared_task
def offers_expire() -> int:
    return services.offers_expire()


@shared_task
def reminders_send() -> int:
    return services.reminders_send()


@shared_task
def recordings_announce() -> int:
    return services.recordings_announce()


# A mail server that is down or refuses for a while is worth trying again; nothing else is.
@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError),
    retry_backoff=30,
    max_retries=6,
)
def notification_deliver(notification_id: int) -> list[str]:
    return notifications.notification_deliver(notification_id=notification_id)
