from typing import Any

from celery import shared_task

from . import services


@shared_task
def go_live_announce() -> dict[str, Any]:
    """Periodic: scheduled courses and bundles whose time has come are recorded and
    announced once. (They are already visible: visibility is computed from the clock.)"""
    events = services.go_live_announce_due()
    return {"announced": [f"{e.kind}:{e.object_id}" for e in events]}
