"""The register (발급대장) for staff: list, search, export, revoke. Certificates are never
added, edited or deleted here; revocation goes through the service."""

import csv
import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.requests import MemberRequest
from lms.core.errors import AppError

from . import services
from .formatting import date_long
from .models import Certificate

CSV_COLUMNS: tuple[tuple[Any, Callable[[Certificate], object]], ...] = (
    (_("serial"), lambda c: c.serial),
    (_("certificate number"), lambda c: c.code),
    (_("kind"), lambda c: c.get_kind_display()),
    (_("name as issued"), lambda c: c.name),
    (_("e-mail address"), lambda c: c.user.email if c.user else ""),
    (_("title as issued"), lambda c: c.title),
    (_("completed at"), lambda c: timezone.localtime(c.completed_at).isoformat()),
    (_("recognised study time (seconds)"), lambda c: c.study_seconds),
    (_("completion rule"), lambda c: c.get_rule_display()),
    (_("issued at"), lambda c: timezone.localtime(c.issued_at).isoformat()),
    (
        _("revoked at"),
        lambda c: timezone.localtime(c.revoked_at).isoformat() if c.revoked_at else "",
    ),
    (_("reason for revocation"), lambda c: c.revoke_reason),
)


def register_csv(rows: QuerySet[Certificate]) -> bytes:
    """The register as CSV in UTF-8 with a byte-order mark, so that Excel (as Korean offices
    open CSV files) reads the Hangul correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(label) for label, _value in CSV_COLUMNS])
    for certificate in rows.select_related("user").order_by("serial"):
        row = [value(certificate) for _label, value in CSV_COLUMNS]
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class Status(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("valid", _("Valid")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> Any:
        if self.value() == "valid":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin[Certificate]):
    list_display = ("serial", "code", "name", "title", "completed_day", "status", "issued_at")
    list_filter = (Status, "kind", "rule")
    search_fields = ("code", "name", "title", "user__email", "=serial")
    ordering = ("-serial",)
    actions = ("export_csv", "revoke", "invalidate_completion")
    readonly_fields = tuple(f.name for f in Certificate._meta.fields)

    @admin.display(description=_("completed on"))
    def completed_day(self, obj: Certificate) -> str:
        return date_long(obj.completed_at)

    @admin.display(description=_("status"))
    def status(self, obj: Certificate) -> str:
        if obj.revoked_at:
            return str(_("Revoked on %(d)s")) % {"d": date_long(obj.revoked_at)}
        return str(_("Valid"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Certificate], search_term: str
    ) -> tuple[QuerySet[Certificate], bool]:
        # A typed code is found however it was written (lower case, no hyphens, O for 0).
        from .selectors import register_list

        if not search_term.strip():
            return queryset, False
        return queryset & register_list(search=search_term), False

    @admin.action(description=_("Export the selected certificates (CSV)"))
    def export_csv(self, request: MemberRequest, queryset: QuerySet[Certificate]) -> HttpResponse:
        response = HttpResponse(register_csv(queryset), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="certificates-{stamp}.csv"'
        return response

    def _with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet[Certificate],
        *,
        action: str,
        title: Any,
        run: Any,
    ) -> HttpResponse | None:
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done = 0
            for certificate in queryset.order_by("pk"):
                try:
                    done += run(certificate, form.cleaned_data["reason"])
                except AppError as error:
                    self.message_user(
                        request, f"{certificate.code}: {error.message}", messages.WARNING
                    )
            self.message_user(
                request, str(_("%(n)d certificate(s) revoked.")) % {"n": done}, messages.SUCCESS
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "certificates": queryset,
            "action": action,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/certificates/reason.html", context)

    @admin.action(description=_("Revoke the selected certificates"))
    def revoke(
        self, request: MemberRequest, queryset: QuerySet[Certificate]
    ) -> HttpResponse | None:
        def run(certificate: Certificate, reason: str) -> int:
            services.certificate_revoke(certificate=certificate, by=request.user, reason=reason)
            return 1

        return self._with_reason(
            request, queryset, action="revoke", title=_("Revoke certificates"), run=run
        )

    @admin.action(description=_("Invalidate the completion (resets progress, revokes)"))
    def invalidate_completion(
        self, request: MemberRequest, queryset: QuerySet[Certificate]
    ) -> HttpResponse | None:
        def run(certificate: Certificate, reason: str) -> int:
            if certificate.course is None or certificate.user is None:
                raise AppError(
                    str(_("Only a course certificate's completion can be invalidated.")),
                    code="not_a_course",
                )
            return services.completion_invalidate(
                user=certificate.user,
                course=certificate.course,
                by=request.user,
                reason=reason,
            )

        return self._with_reason(
            request,
            queryset,
            action="invalidate_completion",
            title=_("Invalidate completions"),
            run=run,
        )
