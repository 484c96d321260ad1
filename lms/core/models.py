from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, editable=False)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """An e-mail the platform sent while no mail server was configured (the embedded mode's
    `lms.core.mail.OutboxEmailBackend`): kept so that staff can read it in the admin, and a
    sign-up's confirmation link is never lost."""

    to = models.TextField(_("to"))
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    from_email = models.CharField(_("from"), max_length=320, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails (outbox)")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
