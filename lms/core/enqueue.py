"""Sending a Celery task, the one way: after the transaction that made its work commits.

A task sent before the commit could run before its rows exist, or for rows a rollback undid.
Tasks are sent by their registered name, so a service never imports the tasks module that
calls it back (no import circles), and through the registered task object rather than
`send_task`, so that eager mode (`CELERY_TASK_ALWAYS_EAGER`, the tests) runs it in place.
"""

from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.db import transaction


def _registered(task_name: str) -> Any:
    if task_name not in current_app.tasks:
        # The apps' tasks modules, found as a worker finds them when it starts (a web process
        # imports a tasks module only when something uses it).
        current_app.loader.import_default_modules()
    return current_app.tasks[task_name]


@dataclass(frozen=True)
class TaskSend:
    """The on-commit callback: which task, with what (readable in logs and tests)."""

    task_name: str
    args: tuple[Any, ...]
    countdown: int = 0

    def __post_init__(self) -> None:
        # Django's robust on-commit error log names the callback by its __qualname__.
        object.__setattr__(self, "__qualname__", f"send {self.task_name}")

    def __call__(self) -> None:
        _registered(self.task_name).apply_async(args=self.args, countdown=self.countdown or None)


def enqueue_after_commit(task_name: str, *args: Any, countdown: int = 0) -> None:
    """Send `task_name` with `args` once the current transaction commits (at once outside one).

    robust: the rows are committed whatever the broker does, and a send that fails is logged
    by Django, not raised into the request; each caller says how such a task is sent again.
    """
    transaction.on_commit(TaskSend(task_name, args, countdown), robust=True)
