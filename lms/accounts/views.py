from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.core.errors import AppError
from lms.core.web import add_app_error, staff_required

from . import selectors, services
from .forms import DecisionForm, InstructorApplicationForm
from .models import InstructorApplication
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
