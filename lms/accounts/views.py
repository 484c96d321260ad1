from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lms.core.errors import AppError
from lms.core.web import add_app_error, staff_required

from . import selectors, services, verification
from .forms import AddressChangeForm, DecisionForm, InstructorApplicationForm
from .models import CONSENT_VERSIONS, Consent, InstructorApplication
from .requests import MemberRequest


@login_required
def teach(request: MemberRequest) -> HttpResponse:
    """The member's page about teaching: apply, or see where the application stands."""
    applications = selectors.instructor_application_list_for(request.user)
    return render(request, "accounts/teach.html", {"applications": applications})


@login_required
def apply(request: MemberRequest) -> HttpResponse:
    form = InstructorApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.instructor_application_submit(
                applicant=request.user,
                **form.cleaned_data,
            )
        except AppError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("Thank you. We will review your application soon."))
            return redirect("accounts:teach")
    return render(request, "accounts/apply.html", {"form": form})


@staff_required
def application_queue(request: MemberRequest) -> HttpResponse:
    pending = selectors.instructor_application_list_pending()
    return render(
        request, "accounts/application_queue.html", {"pending": pending, "form": DecisionForm()}
    )


@staff_required
@require_POST
def application_decide(request: MemberRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(InstructorApplication, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or decline."))
        return redirect("accounts:application_queue")
    action = (
        services.instructor_application_approve
        if form.cleaned_data["decision"] == "approve"
        else services.instructor_application_decline
    )
    try:
        action(
            application=application,
            decided_by=request.user,
            message=form.cleaned_data["message"],
        )
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision saved; the applicant was told by e-mail."))
    return redirect("accounts:application_queue")


@require_http_methods(["GET", "POST"])
def email_sent(request: HttpRequest) -> HttpResponse:
    """After sign-up: where the confirmation mail went, a new mail, another address."""
    pending = verification.pending_signup_get(request)
    if pending is None:
        return redirect("account_login")
    change_form = AddressChangeForm(
        request.POST if request.POST.get("action") == "change" else None
    )
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            if verification.verification_mail_resend(request, pending):
                messages.success(request, _("We sent the mail again."))
            else:
                messages.info(
                    request,
                    _(
                        "A mail went to this address a moment ago; its link still works. "
                        "You can ask for another in a few minutes."
                    ),
                )
            return redirect("accounts:email_sent")
        if change_form.is_valid():
            try:
                verification.pending_signup_change_address(
                    request, pending, email=change_form.cleaned_data["email"]
                )
            except AppError as exc:
                add_app_error(change_form, exc)
            else:
                messages.success(request, _("The address is changed; we sent the mail there."))
                return redirect("accounts:email_sent")
    return render(
        request,
        "account/email_sent.html",
        {"pending": pending, "change_form": change_form},
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/terms.html", {"version": CONSENT_VERSIONS[Consent.Kind.TERMS]})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/privacy.html", {"version": CONSENT_VERSIONS[Consent.Kind.PRIVACY]}
    )
