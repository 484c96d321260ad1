"""Questions under a lecture and their answers (질문·답변).

Every write goes through `services.py`; a hidden post keeps its text (staff can read it in the
admin) but the pages show the reason instead. An edit keeps the previous text in a `Revision`.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Lecture
from lms.core.models import TimeStampedModel

BODY_MAX_LENGTH = 5000


class Post(TimeStampedModel):
    """What questions and answers share: an author, a body, edits and the staff's hiding."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("text"), validators=[MaxLengthValidator(BODY_MAX_LENGTH)])
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True, editable=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("hidden by"),
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __str__(self) -> str:
        return self.body[:60]


class Question(Post):
    lecture = models.ForeignKey(
        Lecture, on_delete=models.CASCADE, related_name="questions", verbose_name=_("lecture")
    )
    # The moment of the video the question is about, when the member asked "at this moment".
    at_seconds = models.PositiveIntegerField(_("moment of the video (s)"), null=True, blank=True)
    accepted_answer = models.OneToOneField(
        "Answer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("answer that helped"),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("lecture", "created_at"))]


class Answer(Post):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    # Whether the author could edit the course when answering (`can_edit_course`: one of its
    # instructors, or staff): such an answer makes the question answered.
    by_course_editor = models.BooleanField(_("by an instructor"), default=False, editable=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=("question", "created_at"))]


class Revision(models.Model):
    """The text a question or an answer had before one edit."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="revisions"
    )
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, null=True, blank=True, related_name="revisions"
    )
    body = models.TextField(_("previous text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, answer__isnull=True)
                | Q(question__isnull=True, answer__isnull=False),
                name="qna_revision_of_one_post",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]
