"""Sign-out, a password change or deactivation ends the member's heartbeat keys and API
tokens (issue 17): a stolen or left-behind key must not keep crediting progress. A change
to the catalog clears the lectures heartbeats found visible."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver
from rest_framework.authtoken.models import Token

from lms.accounts.models import User
from lms.catalog.models import Course, Lecture

from .auth import key_epoch_bump
from .selectors import visible_lectures

#: Sent after the commit that completed a course for a member (`user`, `course_ids`): what
#: follows from a completion in other apps (a certificate) listens here.
courses_completed = Signal()


def member_keys_end(user: User) -> None:
    key_epoch_bump(user)
    Token.objects.filter(user_id=user.pk).delete()


@receiver(user_logged_out, dispatch_uid="lms.learning.keys_end_on_logout")
def _on_logout(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        member_keys_end(user)


@receiver(pre_save, sender=User, dispatch_uid="lms.learning.keys_end_on_change")
def _on_member_change(
    sender: Any, instance: User, update_fields: Any = None, **kwargs: Any
) -> None:
    """A new password or a deactivation, however it is saved (account pages, admin, shell)."""
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    if before is None:
        return
    password, active = before
    if password != instance.password or (active and not instance.is_active):
        member_keys_end(instance)


@receiver(post_save, sender=Lecture, dispatch_uid="lms.learning.visible_lectures_lecture_saved")
@receiver(post_delete, sender=Lecture, dispatch_uid="lms.learning.visible_lectures_lecture_gone")
@receiver(post_save, sender=Course, dispatch_uid="lms.learning.visible_lectures_course_saved")
@receiver(post_delete, sender=Course, dispatch_uid="lms.learning.visible_lectures_course_gone")
def _on_catalog_change(sender: Any, **kwargs: Any) -> None:
    """A lecture or course published, unpublished or changed: heartbeats in this process see
    it at once (`selectors.visible_lectures`)."""
    visible_lectures.clear()
