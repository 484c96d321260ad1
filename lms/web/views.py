"""The public pages: home, catalog, lecture and "my learning". Thin: authorise through the
apps' selectors, render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.accounts.requests import MemberRequest
from lms.catalog import selectors
from lms.certificates import selectors as certificate_selectors
from lms.certificates.services import certificates_issue_for
from lms.community.selectors import announcement_latest, weekly_lecture_upcoming
from lms.learning import selectors as learning_selectors
from lms.qna import selectors as qna_selectors

from .player import lecture_page_context

HOME_NEWEST_COURSES = 6


def home(request: HttpRequest) -> HttpResponse:
    """Short by request of the organisers: one screen, no endless scrolling."""
    user = request.user
    context = {
        "continue_watching": (
            learning_selectors.continue_watching(user=user, limit=3)
            if user.is_authenticated
            else []
        ),
        "weekly": weekly_lecture_upcoming(),
        "announcement": announcement_latest(),
        "categories": selectors.category_list(),
        "newest": list(selectors.course_list()[:HOME_NEWEST_COURSES]),
        "bundles": list(selectors.bundle_list()[:2]),
    }
    return render(request, "catalog/home.html", context)


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get(slug=slug)
    context = {
        "category": category,
        "categories": selectors.category_list(),
        "courses": selectors.course_list(category=category),
    }
    return render(request, "catalog/category_detail.html", context)


def course_list(request: HttpRequest) -> HttpResponse:
    context = {"courses": selectors.course_list(), "categories": selectors.category_list()}
    return render(request, "catalog/course_list.html", context)


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.access_course(request.user, slug=slug)  # type: ignore[arg-type]
    lectures = course.visible_lectures  # type: ignore[attr-defined]
    certificate = None
    if request.user.is_authenticated:
        # The learning service completes courses without signals: catch up here (cheap).
        certificates_issue_for(user=request.user)
        certificate = certificate_selectors.certificates_valid_by_course(user=request.user).get(
            course.pk
        )
    context = {
        "course": course,
        "lectures": lectures,
        "total_seconds": sum(lecture.duration_seconds for lecture in lectures),
        "certificate": certificate,
        "answered_questions": qna_selectors.course_answered_question_count(course=course),
    }
    return render(request, "catalog/course_detail.html", context)


def bundle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bundle = selectors.access_bundle(request.user, slug=slug)  # type: ignore[arg-type]
    return render(request, "catalog/bundle_detail.html", {"bundle": bundle})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX_LENGTH]
    courses, lectures = selectors.catalog_search(query=query)
    context = {"query": query, "courses": courses, "lectures": lectures}
    return render(request, "catalog/search.html", context)


@login_required
def lecture_detail(request: MemberRequest, slug: str, position: int) -> HttpResponse:
    """The lecture page: the player, the course outline with each lecture's state, and the
    lecture's chapters, captions and handouts. Watching needs a (free) membership, so that
    progress can be kept; visitors are sent to sign in and come back."""
    course = selectors.access_course(request.user, slug=slug)
    lecture = next(
        (x for x in course.visible_lectures if x.position == position),  # type: ignore[attr-defined]
        None,
    )
    if lecture is None:
        raise Http404
    context = lecture_page_context(user=request.user, course=course, lecture=lecture)
    context["qna"] = qna_selectors.lecture_qna(user=request.user, lecture=lecture)
    return render(request, "catalog/lecture_detail.html", context)


@login_required
def my_learning(request: MemberRequest) -> HttpResponse:
    """What the member is in the middle of, and every course they started, with progress."""
    user = request.user
    # The learning service completes courses without signals: catch up here (cheap).
    certificates_issue_for(user=user)
    context = {
        "continue_watching": learning_selectors.continue_watching(user=user, limit=12),
        "courses": learning_selectors.my_learning(user=user),
        "certificates": certificate_selectors.certificates_valid_by_course(user=user),
    }
    return render(request, "catalog/my_learning.html", context)
