"""Certificate pages: public verification, the member's PDF, the profile. Thin: authorise
through selectors, call a service, render."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.accounts import services as account_services
from lms.accounts.requests import MemberRequest
from lms.community import selectors as community_selectors
from lms.core.errors import AppError
from lms.core.web import add_app_error

from . import selectors
from .forms import ProfileForm, VerifyForm
from .pdf import certificate_pdf


def _verify_allowed(request: HttpRequest) -> bool:
    """Count a look-up against the visitor's address in the shared cache (fixed window):
    unknown and valid codes count alike, so guessing gains nothing by its answers. The
    window is in the key: the database cache's `incr` rewrites the entry's expiry."""
    window = settings.CERTIFICATE_VERIFY_WINDOW_SECONDS
    key = f"certificate-verify:{request.META.get('REMOTE_ADDR', '')}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        used = 1
    return int(used) <= int(settings.CERTIFICATE_VERIFY_LIMIT)


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(settings.CERTIFICATE_VERIFY_WINDOW_SECONDS)
    return response


@require_GET
@never_cache
def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    """The public verification page, linkable as /c/<code>/ (the QR code's address) and as
    /verify/?code=... (the form). Unknown and malformed codes get the same page and status."""
    text = code or request.GET.get("code", "")
    form = VerifyForm(initial={"code": text})
    if not text:
        return render(request, "certificates/verify.html", {"form": form, "asked": False})
    if not _verify_allowed(request):
        return _too_many(request)
    certificate = selectors.certificate_verify(text=text)
    context = {"form": form, "asked": True, "certificate": certificate}
    response = render(
        request, "certificates/verify.html", context, status=200 if certificate else 404
    )
    response["X-Robots-Tag"] = "noindex"
    return response


def verify_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("certificates:verify", args=[code]))


@login_required
@require_GET
def certificate_download(request: MemberRequest, code: str) -> HttpResponse:
    """The member's certificate as a PDF (Korean; `?lang=en` for English). A revoked
    certificate is not served."""
    certificate = selectors.access_certificate_file(user=request.user, code=code)
    if not certificate.is_valid:
        return render(
            request,
            "certificates/revoked.html",
            {"certificate": certificate},
            status=410,
        )
    english = request.GET.get("lang") == "en"
    body = certificate_pdf(
        certificate=certificate, verify_url=verify_url(request, certificate.code), english=english
    )
    response = HttpResponse(body, content_type="application/pdf")
    suffix = "-en" if english else ""
    response["Content-Disposition"] = f'attachment; filename="{certificate.code}{suffix}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_certificates(request: MemberRequest) -> HttpResponse:
    certificates = selectors.certificates_of(user=request.user)
    return render(request, "certificates/mine.html", {"certificates": certificates})


@login_required
def profile_edit(request: MemberRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.profile_update(user=user, **form.cleaned_data)
        except AppError as error:
            add_app_error(form, error)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("certificates:profile_edit")
    return render(request, "certificates/profile_edit.html", {"form": form})


@require_GET
def profile_public(request: HttpRequest, handle: str) -> HttpResponse:
    """A member's opt-in public profile: completed courses with their certificates, the special
    lectures they attended and, for instructors, the courses they teach. Nothing private."""
    member = selectors.public_profile_get(handle=handle)
    context = {
        "member": member,
        "links": [line for line in member.links.splitlines() if line],
        "certificates": selectors.public_profile_certificates(user=member),
        "courses_taught": selectors.public_profile_courses_taught(user=member),
        "lectures_attended": community_selectors.lectures_attended(member),
    }
    response = render(request, "certificates/profile_public.html", context)
    response["Cache-Control"] = "no-cache"
    return response
