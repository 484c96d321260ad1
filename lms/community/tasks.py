from celery import shared_task

from . import notifications, services


@shared_task
def offers_expire() -> int:
    return services.offers_expire()


@shared_task
def reminders_send() -> int:
    return services.reminders_send()


@shared_task
def notification_deliver(notification_id: int) -> list[str]:
    return notifications.notification_deliver(notification_id=notification_id)


@shared_task
def recordings_announce() -> int:
    return services.recordings_announce()
