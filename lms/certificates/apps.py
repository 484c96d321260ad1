from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "lms.certificates"
    label = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from lms.learning.signals import courses_completed

        from .services import certificates_issue_on_completion

        courses_completed.connect(
            certificates_issue_on_completion, dispatch_uid="lms.certificates.on_completion"
        )
